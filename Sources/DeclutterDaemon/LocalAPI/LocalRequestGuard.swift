import Foundation
import HTTPTypes
import Hummingbird

/// Keeps web pages out of the local API, an admin surface that a browser on the same host can reach:
///
/// - a `Host` that is not a loopback name or one of `local.allowed_hosts` is refused (421), which stops DNS
///   rebinding (a foreign name resolving to 127.0.0.1); the unix socket is trusted whatever its `Host`;
/// - a request from another origin (`Origin` not this API's own, or `Sec-Fetch-Site: cross-site`) is refused (403);
/// - a body on a state-changing request must be `application/json` (415): the types a page can send
///   cross-site without asking first (`text/plain`, forms) never reach a handler. The exceptions are the two upload
///   routes, `POST /v1/generations` (which also takes `multipart/form-data` and `image/jpeg`/`image/png` bodies) and
///   `POST /v1/listings` (which also takes `multipart/form-data`): a page can send a form there without asking, so
///   for them the `Origin` and `Sec-Fetch-Site` checks above are the protection (a browser sends them with every
///   cross-site POST).
///
/// It runs before any handler, so a refused request writes nothing.
struct LocalRequestGuard: RouterMiddleware {
    /// Extra host names accepted in `Host` (lowercased, without port).
    let allowedHosts: Set<String>

    init(allowedHosts: [String]) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
    }

    func handle(_ request: Request, context: LocalContext, next: (Request, LocalContext) async throws -> Response) async throws -> Response {
        let host = request.head.authority ?? ""
        if !context.viaUnixSocket {
            guard isAllowed(host: host) else {
                throw APIError(.misdirectedRequest, code: .hostNotAllowed,
                               message: "the Host header must name this machine's loopback (localhost, 127.0.0.1, [::1]) or a name in local.allowed_hosts")
            }
        }
        if let site = request.headers[.secFetchSite]?.lowercased(), !Self.allowedFetchSites(for: request.method).contains(site) {
            throw Self.crossOrigin
        }
        if let origin = request.headers[.origin], !Self.isSameOrigin(origin, host: host) {
            throw Self.crossOrigin
        }
        if Self.changesState(request.method), let problem = Self.bodyProblem(request.headers, takesUploads: Self.takesUploads(request)) {
            throw APIError(.unsupportedMediaType, code: .unsupportedMediaType, message: problem)
        }
        return try await next(request, context)
    }

    static let crossOrigin = APIError(.forbidden, code: .crossOriginRefused,
                                      message: "requests from web pages of another origin are refused: the local API is an admin surface")

    /// `Sec-Fetch-Site` values let through: a state change must come from this origin itself or from no page at
    /// all (`none`: typed in, a bookmark); a read may also come from a sibling site, never from another.
    static func allowedFetchSites(for method: HTTPRequest.Method) -> Set<String> {
        changesState(method) ? ["same-origin", "none"] : ["same-origin", "same-site", "none"]
    }

    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        ![.get, .head, .options].contains(method)
    }

    /// Why the body of a state-changing request is refused, or nil: a `Content-Type` must say JSON (or, on the
    /// upload route, one of the upload types), and a body must have one.
    static func bodyProblem(_ headers: HTTPFields, takesUploads: Bool = false) -> String? {
        if let type = headers[.contentType] {
            if MediaType.isJSON(type) || (takesUploads && UploadMediaType(contentType: type) != nil) { return nil }
            return "the body must be \(takesUploads ? UploadMediaType.accepted : "application/json") (got \(type.prefix(100)))"
        }
        let length = headers[.contentLength].flatMap(Int.init) ?? 0
        return length > 0 || headers[.transferEncoding] != nil ? "a body needs Content-Type: application/json" : nil
    }

    /// `POST /v1/generations` and `POST /v1/listings`, the routes that take photos as files (as the router matches
    /// them: empty path components do not count).
    static func takesUploads(_ request: Request) -> Bool {
        let path = request.uri.path.split(separator: "/")
        return request.method == .post && (path == ["v1", "generations"] || path == ["v1", "listings"])
    }

    /// A loopback name with or without a port, or a configured name.
    func isAllowed(host: String) -> Bool {
        let name = Self.hostName(host)
        return HostNames.isLoopback(name) || allowedHosts.contains(name.hasSuffix(".") ? String(name.dropLast()) : name)
    }

    /// The name in a `Host` value, lowercased, without port or IPv6 brackets.
    static func hostName(_ host: String) -> String {
        let lowered = host.lowercased()
        if lowered.hasPrefix("["), let close = lowered.firstIndex(of: "]") {
            return String(lowered[lowered.index(after: lowered.startIndex)..<close])
        }
        return String(lowered.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// True when `origin` is `http://` (or `https://`) followed by exactly the `Host` the request was sent to.
    static func isSameOrigin(_ origin: String, host: String) -> Bool {
        let origin = origin.lowercased()
        let host = host.lowercased()
        return !host.isEmpty && (origin == "http://" + host || origin == "https://" + host)
    }
}

extension HTTPField.Name {
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
}
