import DeclutterStore
import HTTPTypes
import Hummingbird
import HummingbirdAuth

/// The scope each local route needs when `local.auth = required`: the one place that says it. `OpenAPITests` checks
/// each operation's `security` in `openapi.yaml` against it.
enum RouteScope {
    /// Open to anyone who reaches the listener: health, the API's own document, the dashboard's stylesheet and script,
    /// and logging in and out.
    static let open: Set<String> = ["/healthz", "/readyz", "/openapi.yaml", "/dashboard/app.css", "/dashboard/app.js",
                                     DashboardLogin.loginPath, DashboardLogin.logoutPath]

    /// Path prefixes of the admin surface: webhook endpoints, deliveries, redelivery and recovery, keys, dashboard links,
    /// and the dashboard's pages about them.
    static let adminPrefixes = ["/v1/endpoints", "/v1/deliveries", "/v1/messages", "/v1/keys", "/v1/dashboard-links", "/endpoints", "/keys"]

    /// What launches generations (and so spends photos) or asks the service on the client's behalf.
    static let submitPrefixes = ["/v1/generations", "/v1/track", "/v1/listings"]

    /// The scope `method` on `path` needs; nil when the route is open.
    static func required(_ method: HTTPRequest.Method, _ path: String) -> KeyScope? {
        let path = normalized(path)
        if open.contains(path) { return nil }
        if adminPrefixes.contains(where: { isUnder($0, path) }) { return .admin }
        if ![.get, .head].contains(method), submitPrefixes.contains(where: { isUnder($0, path) }) { return .submit }
        return .read
    }

    /// `path` is `prefix` or below it.
    private static func isUnder(_ prefix: String, _ path: String) -> Bool {
        path == prefix || path.hasPrefix(prefix + "/")
    }

    /// As the router matches it: empty components do not count.
    static func normalized(_ path: String) -> String {
        "/" + path.split(separator: "/").joined(separator: "/")
    }
}

/// With `local.auth = required`: a request without a key (or dashboard session) is refused 401, one whose key lacks
/// the route's scope 403 `missing_scope`, before any handler runs. A dashboard page asked for without a session
/// gets a page saying how to log in.
struct ScopeGuard: RouterMiddleware {
    func handle(_ request: Request, context: LocalContext, next: (Request, LocalContext) async throws -> Response) async throws -> Response {
        guard let scope = RouteScope.required(request.method, request.uri.path) else { return try await next(request, context) }
        guard let identity = context.identity else {
            if DashboardLogin.isPage(request) { return DashboardLogin.loginNeeded }
            throw APIError(.unauthorized, code: .unauthorized,
                           message: "a local API key is required (Authorization: Bearer dcl_...): local.auth is required",
                           headers: [.wwwAuthenticate: "Bearer"])
        }
        guard try await PermissionPolicy<LocalIdentity>(scope).isAuthorized(identity: identity, request: request) else {
            throw APIError(.forbidden, code: .missingScope,
                           message: "this route needs the \(scope.rawValue) scope, which key \(identity.keyName ?? "-") does not have",
                           facts: ["scope": scope.rawValue])
        }
        return try await next(request, context)
    }
}
