import Hummingbird

extension Router {
    /// Every method a client could try; those a path does not serve answer 405.
    static var answeredMethods: [HTTPRequest.Method] { [.get, .head, .post, .put, .patch, .delete, .options, .trace] }

    /// The routes served, as `METHOD /path`, sorted.
    var servedRoutes: [String] { routes.map { "\($0.method.rawValue) \($0.path)" }.sorted() }

    /// Makes a wrong method on a served path answer 405 with `Allow` (instead of the router's 404); call it
    /// once every endpoint is registered, on a router made with `.autoGenerateHeadEndpoints`. Returns the routes served before it, which the 405s are not.
    @discardableResult
    func answerWrongMethods() -> [String] {
        let served = servedRoutes
        let methodsByPath = Dictionary(grouping: routes, by: { $0.path.description }).mapValues { Set($0.map(\.method)) }
        for (path, served) in methodsByPath {
            // A GET path answers HEAD too (the router's `.autoGenerateHeadEndpoints`).
            let methods = served.contains(.get) ? served.union([.head]) : served
            let allow = methods.map(\.rawValue).sorted().joined(separator: ", ")
            for method in Self.answeredMethods where !methods.contains(method) {
                on(RouterPath(path), method: method) { _, _ in APIError.methodNotAllowed(allow: allow).response }
            }
        }
        return served
    }
}

extension APIError {
    static func methodNotAllowed(allow: String) -> APIError {
        APIError(.methodNotAllowed, code: "method_not_allowed", message: "this path serves \(allow) only", headers: [.allow: allow])
    }
}
