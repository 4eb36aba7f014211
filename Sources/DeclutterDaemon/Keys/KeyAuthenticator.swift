import DeclutterStore
import Foundation
import Hummingbird
import HummingbirdAuth
import Synchronization

/// With `local.auth = required`: finds who a request acts as, from `Authorization: Bearer dcl_...` (a key's token, or
/// the one a rotation replaced while its grace lasts), else from the dashboard's session cookie; a request over the
/// unix socket without a key acts as the host's operator. A token that opens no key is refused at once (401); no
/// token leaves the request without identity, for `ScopeGuard` to refuse unless the route is open.
///
/// Each request reads the key from the store, so a revoked key is refused at once, on every instance.
struct KeyAuthenticator: AuthenticatorMiddleware {
    typealias Context = LocalContext
    let keys: any KeyStore
    let lastUse: KeyUseRecorder
    let now: @Sendable () -> Date

    func authenticate(request: Request, context: LocalContext) async throws -> LocalIdentity? {
        // An open route (health, the document, logging in) is answered whatever the request carries.
        guard RouteScope.required(request.method, request.uri.path) != nil else { return nil }
        if let bearer = request.headers.bearer {
            guard bearer.token.hasPrefix(KeyRules.tokenPrefix),
                  let key = try await keys.key(tokenHash: KeyRules.hash(bearer.token), at: now()) else {
                throw APIError(.unauthorized, code: .unauthorized, message: "the key is unknown, revoked, or a rotated token past its grace",
                               headers: [.wwwAuthenticate: "Bearer"])
            }
            lastUse.note(key.name, keys: keys, at: now())
            return LocalIdentity(key: key)
        }
        if let cookie = request.cookies[DashboardLogin.cookieName]?.value,
           let session = try await keys.dashboardSession(tokenHash: KeyRules.hash(cookie), at: now()) {
            return LocalIdentity(session: session)
        }
        return context.viaUnixSocket ? .hostOperator : nil
    }
}

/// Writes a key's `last_used_at` at most once a minute per key on this instance: a request never waits for it.
final class KeyUseRecorder: Sendable {
    private let written = Mutex<[String: Date]>([:])
    static let interval: TimeInterval = 60

    func note(_ name: String, keys: any KeyStore, at date: Date) {
        let due = written.withLock { written in
            guard written[name].map({ date.timeIntervalSince($0) >= Self.interval }) ?? true else { return false }
            // Bounded: one entry per key, and keys are few (KeyRules.maximumKeys not revoked).
            written[name] = date
            return true
        }
        if due { Task { try? await keys.noteKeyUsed(named: name, at: date) } }
    }
}
