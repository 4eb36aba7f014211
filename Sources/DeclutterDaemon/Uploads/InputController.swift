import DeclutterStore
import Foundation
import Hummingbird

/// `GET` and `HEAD /inputs/{token}.{jpg|png}` on the public listener (docs/archive.md): an uploaded photo, to
/// whoever holds its capability URL (the service), while its generation is pending and for `archive.input_grace`
/// after it ended. Anything else, a malformed token included, answers the same 404 as an unknown token.
struct InputController: Sendable {
    let database: any Store
    let directory: ArchiveDirectory
    /// `archive.input_grace`.
    let grace: Duration
    let unknownTokenLog: RateLimitedLog
    let now: @Sendable () -> Date

    /// HEAD comes from the router's `.autoGenerateHeadEndpoints`: the same head, no body.
    var endpoints: RouteCollection<CallbackContext> {
        let routes = RouteCollection(context: CallbackContext.self)
        routes.get("/inputs/{file}") { request, context in try await serve(request, context) }
        return routes
    }

    private func serve(_ request: Request, _ context: CallbackContext) async throws -> Response {
        // `/inputs/{token}.png/` is another path, not the file: the router would take it for the same one.
        guard !request.uri.path.hasSuffix("/"), let (token, fileExtension) = InputToken.parse(context.parameters.get("file") ?? ""),
              let (upload, generation) = try await database.upload(tokenHash: token.hash),
              InputToken.fileExtension(contentType: upload.contentType) == fileExtension, upload.prunedAt == nil,
              Self.isServed(generation, at: now(), grace: grace)
        else { return unknown(context) }
        // The local API's file responder: the same headers, ETag and Range rules for every file the daemon serves.
        do {
            try await ArchiveCopies(store: database, directory: directory).fetchIfMissing(upload.file)
            return try await FileResponder.response(serving: ServedFile(upload.file, in: directory), to: request.headers, logger: context.logger)
        } catch let error as APIError where error.code == "file_missing" {
            // Logged by the responder; to the outside, a token whose file is gone opens nothing, like any other.
            return unknown(context)
        }
    }

    /// While the generation is pending, and until it ended (or was given up, LOST) plus `grace`.
    static func isServed(_ generation: GenerationRecord, at date: Date, grace: Duration) -> Bool {
        if generation.status.isPending { return true }
        let ended = generation.completedAt ?? generation.updatedAt
        return date.timeIntervalSince(ended) <= grace.seconds
    }

    /// One answer for every token that opens nothing, so a caller learns nothing from it; logged at a limited rate.
    private func unknown(_ context: CallbackContext) -> Response {
        unknownTokenLog.log(context.logger, "input request for an unknown or expired token")
        return APIError.response(.notFound, code: .unknownInput, message: "no input has this URL")
    }
}
