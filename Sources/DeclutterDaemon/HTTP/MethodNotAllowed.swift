import Hummingbird

extension Router {
    /// The routes served, as `METHOD /path`, sorted.
    var servedRoutes: [String] { routes.map { "\($0.method.rawValue) \($0.path)" }.sorted() }

    /// Makes a wrong method on a served path (any method: PUT, TRACE, QUERY, an extension method) answer 405
    /// with `Allow`, instead of the router's 404; call it once every endpoint is registered, on a router made
    /// with `.autoGenerateHeadEndpoints`. Returns the routes served.
    @discardableResult
    func answerWrongMethods() -> [String] {
        let methodsByPath = Dictionary(grouping: routes, by: { $0.path.description }).mapValues { Set($0.map(\.method)) }
        let allowByPath = methodsByPath.map { path, served in
            // A GET path answers HEAD too (the router's `.autoGenerateHeadEndpoints`).
            let methods = served.contains(.get) ? served.union([.head]) : served
            return (template: WrongMethodMiddleware<Context>.components(path), allow: methods.map(\.rawValue).sorted().joined(separator: ", "))
        }
        // Added after every route, it wraps only the router's not-found answer.
        add(middleware: WrongMethodMiddleware<Context>(allowByPath: allowByPath))
        return servedRoutes
    }
}

/// 405 with `Allow`, instead of 404, for a method a served path does not serve.
struct WrongMethodMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each served path template, split into components (`{name}` matches any one), and its `Allow`.
    let allowByPath: [(template: [Substring], allow: String)]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
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
        APIError(.methodNotAllowed, code: .methodNotAllowed, message: "this path serves \(allow) only", headers: [.allow: allow])
    }
}
