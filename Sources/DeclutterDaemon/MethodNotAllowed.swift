import Hummingbird

extension Router {
    /// Every method a client could try; those a path does not serve answer 405.
    static var answeredMethods: [HTTPRequest.Method] { [.get, .head, .post, .put, .patch, .delete, .options, .trace] }

    /// The routes served, as `METHOD /path`, sorted.
    var servedRoutes: [String] { routes.map { "\($0.method.rawValue) \($0.path)" }.sorted() }

    /// Makes a wrong method on a served path answer 405 with `Allow` (instead of the router's 404); call it
    /// once every endpoint is registered, on a router made with `.autoGenerateHeadEndpoints`. Returns the routes served before it, which the 405s are not.
    ///
    /// The methods of `answeredMethods` get a route of their own; any other method (`QUERY`, `CONNECT`, an
    /// extension method) reaches the router's not-found answer, which `UnlistedMethodMiddleware` turns into
    /// the same 405 when the path is a served one.
    @discardableResult
    func answerWrongMethods() -> [String] {
        let served = servedRoutes
        let methodsByPath = Dictionary(grouping: routes, by: { $0.path.description }).mapValues { Set($0.map(\.method)) }
        var allowByPath: [(template: [Substring], allow: String)] = []
        for (path, served) in methodsByPath {
            // A GET path answers HEAD too (the router's `.autoGenerateHeadEndpoints`).
            let methods = served.contains(.get) ? served.union([.head]) : served
            let allow = methods.map(\.rawValue).sorted().joined(separator: ", ")
            for method in Self.answeredMethods where !methods.contains(method) {
                on(RouterPath(path), method: method) { _, _ in APIError.methodNotAllowed(allow: allow).response }
            }
            allowByPath.append((UnlistedMethodMiddleware<Context>.components(path), allow))
        }
        // Added after every route, it wraps only the router's not-found answer.
        add(middleware: UnlistedMethodMiddleware<Context>(allowByPath: allowByPath))
        return served
    }
}

/// 405 with `Allow`, instead of 404, for a method outside `Router.answeredMethods` on a served path.
struct UnlistedMethodMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each served path template, split into components (`{name}` matches any one), and its `Allow`.
    let allowByPath: [(template: [Substring], allow: String)]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && !Router<Context>.answeredMethods.contains(request.method) {
            guard let allow = allow(for: request.uri.path) else { throw error }
            throw APIError.methodNotAllowed(allow: allow)
        }
    }

    /// The `Allow` of the served path `path` falls on, if any.
    func allow(for path: String) -> String? {
        let components = Self.components(path)
        return allowByPath.first { entry in
            entry.template.count == components.count && zip(entry.template, components).allSatisfy { template, component in
                template == component || (template.hasPrefix("{") && template.hasSuffix("}"))
            }
        }?.allow
    }

    /// A path's components, as the router splits it (empty ones dropped).
    static func components(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}

extension APIError {
    static func methodNotAllowed(allow: String) -> APIError {
        APIError(.methodNotAllowed, code: "method_not_allowed", message: "this path serves \(allow) only", headers: [.allow: allow])
    }
}
