import DeclutterStore
import HummingbirdAuth

/// Who a local API request acts as: a key (by its token, or through a dashboard session it opened), or the host's
/// operator (the unix socket, whose file mode says who may connect).
public struct LocalIdentity: Sendable, Equatable, PermissionProviding {
    /// The key's name: what its launches record and its budget charges. Nil for the operator.
    public let keyName: String?
    public let permissions: Set<KeyScope>

    init(key: KeyRecord) {
        keyName = key.name
        permissions = key.scopes
    }

    init(session: DashboardSession) {
        keyName = session.keyName
        permissions = session.scopes
    }

    /// A request over the unix socket without a key: every scope, no budget.
    static let hostOperator = LocalIdentity(keyName: nil, permissions: Set(KeyScope.allCases))

    private init(keyName: String?, permissions: Set<KeyScope>) {
        self.keyName = keyName
        self.permissions = permissions
    }
}

/// `local.auth`: whether the local API asks for a key.
public enum LocalAuth: String, Sendable, CaseIterable {
    /// Nothing is asked and no key is read: for a local API on loopback or a unix socket only.
    case off
    /// Every `/v1/…` route, the event stream, `/metrics` and the dashboard need a key (or a dashboard session).
    case required
}
