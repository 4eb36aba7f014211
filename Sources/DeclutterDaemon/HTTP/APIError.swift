import DeclutterAPI
import Foundation
import Hummingbird
import NIOCore

/// Errors as `{"error": {"code", "message"}}`, on both listeners; every code is one of `ErrorCode`'s lists.
struct APIError: Error, Sendable {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    /// Sent with the error (`Allow` on a 405).
    let headers: HTTPFields
    /// Numbers the client acts on, beside `code` and `message` (`needed` and `left` of `not_enough_photos`).
    let figures: [String: Int]
    /// Words the client acts on (`scope` of `missing_scope`, `resets_at` of `budget_exhausted`).
    var facts: [String: String] = [:]

    init(_ status: HTTPResponse.Status, code: ErrorCode, message: String, headers: HTTPFields = [:], figures: [String: Int] = [:],
         facts: [String: String] = [:]) {
        self.init(status, code: code.rawValue, message: message, headers: headers, figures: figures)
        self.facts = facts
    }

    /// `invalid_<field>`.
    init(_ status: HTTPResponse.Status, field: RequestField, message: String) {
        self.init(status, code: field.invalidCode, message: message, headers: [:], figures: [:])
    }

    private init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields, figures: [String: Int]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.figures = figures
    }

    var response: Response {
        var response = Self.response(status, code: code, message: message, figures: figures, facts: facts)
        response.headers.append(contentsOf: headers)
        return response
    }

    static func response(_ status: HTTPResponse.Status, code: ErrorCode, message: String) -> Response {
        response(status, code: code.rawValue, message: message)
    }

    /// A callback payload's broken rule (`PayloadRule`, the public listener's list of its own).
    static func response(_ status: HTTPResponse.Status, rule: PayloadRule, message: String) -> Response {
        response(status, code: rule.rawValue, message: message)
    }

    fileprivate static func response(_ status: HTTPResponse.Status, code: String, message: String, figures: [String: Int] = [:],
                                     facts: [String: String] = [:]) -> Response {
        var error: [String: Any] = ["code": code, "message": message]
        for (name, value) in figures { error[name] = value }
        for (name, value) in facts { error[name] = value }
        let body = ["error": error]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns thrown `APIError`s (and Hummingbird's own errors) into the JSON error shape.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as HTTPError {
            // The HTTP layer's own refusals, before a route runs: `http_<status>`, but for the one with a name.
            let code = error.status == .notFound ? ErrorCode.notFound.rawValue : "http_\(error.status.code)"
            return APIError.response(error.status, code: code, message: error.body ?? error.status.reasonPhrase)
        } catch {
            // The route, not the path: a callback path carries its capability token.
            context.logger.error("request failed", metadata: ["route": "\(context.endpointPath ?? "-")", "error": "\(error)"])
            return APIError.response(.internalServerError, code: .internalError, message: "the request failed; the daemon's log has the details")
        }
    }
}

extension Response {
    /// `GET /healthz` on both listeners: `ok` and a newline, as UTF-8 text.
    static var healthy: Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
    }
}
