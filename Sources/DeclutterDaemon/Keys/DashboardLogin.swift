import DeclutterStore
import Foundation
import HTTPTypes
import Hummingbird

/// Logging in to the dashboard without pasting a token into a browser: `declutterd dashboard-link` asks for a one-time
/// link (`POST /v1/dashboard-links`); opening it uses the link up and sets a session cookie (`HttpOnly`,
/// `SameSite=Strict`, `Secure` when the page came over TLS through a proxy, ending with `local.session_ttl`), then
/// sends the browser to `/`. The pages' own requests carry the cookie. Sessions are kept in the store (by their hash),
/// so every instance knows them, and they end with their key.
struct DashboardLogin: Sendable {
    static let loginPath = "/login"
    static let logoutPath = "/logout"
    static let cookieName = "declutterd_session"

    let database: any KeyStore
    /// `local.session_ttl`.
    let sessionLifetime: Duration
    let now: @Sendable () -> Date

    var endpoints: RouteCollection<LocalContext> {
        let routes = RouteCollection(context: LocalContext.self)
        routes.get(RouterPath(Self.loginPath), use: login)
        routes.post(RouterPath(Self.logoutPath), use: logout)
        return routes
    }

    private func login(_ request: Request, _ context: LocalContext) async throws -> Response {
        // A HEAD (a link checker, a prefetch) must not use the link up.
        guard request.method == .get else { return Self.page(.ok, "Open this link in a browser to log in.") }
        guard let code = request.uri.queryParameters.get("code"), !code.isEmpty, code.utf8.count <= 100 else {
            return Self.page(.badRequest, "This login link has no code. Run <code>declutterd dashboard-link</code> on the host for one.")
        }
        let token = KeyRules.randomText()
        let date = now()
        let seconds = Int(sessionLifetime.components.seconds)
        guard try await database.openDashboardSession(codeHash: KeyRules.hash(code), sessionHash: KeyRules.hash(token),
                                                      expiresAt: date.addingTimeInterval(Double(seconds)), at: date) != nil else {
            return Self.page(.unauthorized, "This login link is unknown, used already, or expired. Run <code>declutterd dashboard-link</code> on the host for a new one.")
        }
        var response = Response(status: .seeOther, headers: [.location: "/", .cacheControl: "no-store", .referrerPolicy: "no-referrer"])
        response.setCookie(Cookie(name: Self.cookieName, value: token, maxAge: seconds, path: "/", secure: Self.cameOverTLS(request),
                                  httpOnly: true, sameSite: .strict))
        return response
    }

    private func logout(_ request: Request, _ context: LocalContext) async throws -> Response {
        if let cookie = request.cookies[Self.cookieName]?.value { try await database.closeDashboardSession(tokenHash: KeyRules.hash(cookie)) }
        var response = Response(status: .noContent, headers: [.cacheControl: "no-store"])
        response.setCookie(Cookie(name: Self.cookieName, value: "", maxAge: 0, path: "/", secure: Self.cameOverTLS(request), httpOnly: true,
                                  sameSite: .strict))
        return response
    }

    /// A proxy that ended TLS says so in `X-Forwarded-Proto`; the cookie then goes over TLS only.
    static func cameOverTLS(_ request: Request) -> Bool {
        request.headers[.xForwardedProto]?.lowercased().split(separator: ",").first?.trimmingCharacters(in: .whitespaces) == "https"
    }

    /// A dashboard page (not the API, not `/metrics`): without a session it gets a page saying how to log in.
    static func isPage(_ request: Request) -> Bool {
        let path = RouteScope.normalized(request.uri.path)
        return [.get, .head].contains(request.method) && !path.hasPrefix("/v1/") && path != "/metrics"
    }

    static var loginNeeded: Response {
        page(.unauthorized, "The dashboard needs a login: run <code>declutterd dashboard-link</code> on the host (with an admin key, or over "
            + "the unix socket) and open the link it prints.")
    }

    static func page(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>declutterd: log in</title>
            <link rel="icon" href="data:,"><link rel="stylesheet" href="/dashboard/app.css"></head><body><main><h1>declutterd</h1><p id="login-needed">\(message)</p></main></body></html>
            """
        return DashboardResponse.html(html, status: status)
    }
}

extension HTTPField.Name {
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
