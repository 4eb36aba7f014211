import Hummingbird

/// `X-Content-Type-Options: nosniff` on every answer of both listeners (JSON, images, errors and pages alike): a
/// browser takes each body as the type it is labelled with, never as HTML or script it guessed from the bytes.
struct NoSniffMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}
