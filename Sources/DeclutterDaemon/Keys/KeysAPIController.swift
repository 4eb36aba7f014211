import DeclutterAPI
import DeclutterStore
import Foundation
import Hummingbird

/// The local API's key routes (docs/keys.md), for `admin` keys: make, list, revoke and rotate keys, and ask for a
/// one-time dashboard login link. Tokens are shown once, in the answer that makes them; only their hashes are kept.
struct KeysAPIController: Sendable {
    let database: any Store
    /// `local.login_link_ttl`: how long a dashboard link may wait to be opened.
    let linkLifetime: Duration
    let now: @Sendable () -> Date

    var endpoints: RouteCollection<LocalContext> {
        let routes = RouteCollection(context: LocalContext.self)
        routes.get("/v1/keys", use: list)
        routes.post("/v1/keys", use: create)
        routes.get("/v1/keys/{name}", use: show)
        routes.post("/v1/keys/{name}/revoke", use: revoke)
        routes.post("/v1/keys/{name}/rotate", use: rotate)
        routes.post("/v1/dashboard-links", use: dashboardLink)
        return routes
    }

    private func list(_ request: Request, _ context: LocalContext) async throws -> Response {
        try LocalAPIController.json(.ok, KeyListView(keys: try await database.keys(at: now()).map(KeyView.init)))
    }

    private func create(_ request: Request, _ context: LocalContext) async throws -> Response {
        let body = try await JSONBody.read(request)
        guard let name = try body.string(.name), KeyRules.isValidName(name) else { throw APIError.invalidField(.name, "is required: " + KeyRules.nameRule) }
        let scopes = try Self.scopes(body)
        let budget = try body.string(.budget).map { text in
            guard let budget = KeyBudget(text) else { throw APIError.invalidField(.budget, "must be " + KeyBudget.format) }
            return budget
        }
        let date = now()
        do {
            let (key, token) = try await database.issueKey(name: name, scopes: scopes, budget: budget, at: date)
            context.logger.notice("key created", metadata: ["key": "\(name)", "scopes": "\(KeyScope.text(scopes))", "by": "\(context.identity?.keyName ?? "-")"])
            return try LocalAPIController.json(.created, KeyTokenView(key: KeyView(KeyUsage(key: key, used: 0, window: KeyRules.window(of: key, at: date))), token: token))
        } catch StoreError.keyNameTaken(let name) {
            throw APIError(.conflict, code: .keyExists, message: "a key named \(name) exists already (names of revoked keys are not reused)")
        } catch StoreError.tooManyKeys(let limit) {
            throw APIError(.conflict, code: .tooManyKeys, message: "\(limit) keys are in use: revoke one first")
        }
    }

    private func show(_ request: Request, _ context: LocalContext) async throws -> Response {
        guard let usage = try await database.key(named: try Self.name(context), at: now()) else { throw Self.noKey }
        return try LocalAPIController.json(.ok, KeyView(usage))
    }

    private func revoke(_ request: Request, _ context: LocalContext) async throws -> Response {
        let date = now()
        guard let revoked = try await database.revokeKey(named: try Self.name(context), at: date) else { throw Self.noKey }
        context.logger.notice("key revoked", metadata: ["key": "\(revoked.key.name)", "by": "\(context.identity?.keyName ?? "-")"])
        return try LocalAPIController.json(.ok, KeyView(revoked))
    }

    private func rotate(_ request: Request, _ context: LocalContext) async throws -> Response {
        let body = try await JSONBody.read(request, allowEmpty: true)
        let grace = try body.string(.grace).map { text in
            guard let grace = DurationText.parse(text), grace <= KeyRules.maximumGrace else {
                throw APIError.invalidField(.grace, "must be a duration from 0s to \(DurationText.format(KeyRules.maximumGrace)), e.g. 24h")
            }
            return grace
        } ?? KeyRules.defaultGrace
        let date = now()
        guard let (rotated, token) = try await database.reissueToken(name: try Self.name(context), grace: grace, at: date) else { throw Self.noKey }
        context.logger.notice("key rotated", metadata: ["key": "\(rotated.key.name)", "grace": "\(DurationText.format(grace))"])
        return try LocalAPIController.json(.ok, KeyTokenView(key: KeyView(rotated), token: token))
    }

    /// A one-time link to the dashboard, acting as the key that asked (or the operator, over the unix socket).
    /// With `local.auth = off` (no identity) there is none to give: the dashboard needs no login, and a session made
    /// then would outlive the switch to `required`.
    private func dashboardLink(_ request: Request, _ context: LocalContext) async throws -> Response {
        guard let identity = context.identity else {
            throw APIError(.conflict, code: .authOff,
                           message: "local.auth is off: the dashboard needs no login, and a session made now would outlive the switch to required")
        }
        let code = KeyRules.randomText()
        let date = now()
        let expires = date.addingTimeInterval(linkLifetime.seconds)
        try await database.createDashboardLink(codeHash: KeyRules.hash(code),
                                               for: DashboardSession(keyName: identity.keyName, scopes: identity.permissions, expiresAt: expires),
                                               at: date)
        return try LocalAPIController.json(.created, DashboardLinkView(path: DashboardLogin.loginPath + "?code=" + code,
                                                                       expiresAt: StoreFormat.timestamp(expires)))
    }

    static func scopes(_ body: JSONBody) throws -> Set<KeyScope> {
        let rule = "is required: a non-empty array of scopes (" + KeyScope.allCases.map(\.rawValue).joined(separator: ", ") + ")"
        guard case .array(let items)? = body.object[RequestField.scopes.rawValue], !items.isEmpty else { throw APIError.invalidField(.scopes, rule) }
        let scopes = items.compactMap { item -> KeyScope? in
            guard case .string(let name) = item else { return nil }
            return KeyScope(rawValue: name)
        }
        guard scopes.count == items.count else { throw APIError.invalidField(.scopes, rule) }
        return Set(scopes)
    }

    static func name(_ context: LocalContext) throws -> String {
        guard let name = context.parameters.get("name"), KeyRules.isValidName(name) else { throw noKey }
        return name
    }

    static let noKey = APIError(.notFound, code: .notFound, message: "no such key")
}
