import DeclutterStore
import Foundation
import Hummingbird

/// `GET` and `HEAD /inputs/{token}.{jpg|png}` on the public listener (docs/archive.md): an uploaded photo, to
/// whoever holds its capability URL (the service), while its generation is pending and for `archive.input_grace`
/// after it ended. Anything else, a malformed token included, answers the same 404 as an unknown token.
struct InputController: Sendable {
    let database: AppDatabase
    let directory: ArchiveDirectory
    /// `archive.input_grace`.
    let grace: Duration
    let unknownTokenLog: RateLimitedLog
    let now: @Sendable () -> Date

    /// HEAD comes from the router's `.autoGenerateHeadEndpoints`: the same head, no body.
    var endpoints: RouteCollection<CallbackContext> {
        let routes = RouteCollection(context: CallbackContext.self)
        routes.get("/inputs/{file}") { _, context in try await serve(context) }
        return routes
    }

    private func serve(_ context: CallbackContext) async throws -> Response {
        guard let (token, fileExtension) = InputToken.parse(context.parameters.get("file") ?? ""),
              let (upload, generation) = try await database.upload(tokenHash: token.hash),
              InputToken.fileExtension(contentType: upload.contentType) == fileExtension, upload.prunedAt == nil,
              Self.isServed(generation, at: now(), grace: grace)
        else { return unknown(context) }
        // Streamed from the archive file in chunks, with its length. (A minimal responder: the local API's file
        // responder, with ETag and Range, is being built beside this; the service needs neither.)
        let body: ResponseBody
        do {
            body = try await FileIO().loadFile(path: directory.path(forSHA256: upload.sha256), context: context)
        } catch {
            return unknown(context)
        }
        return Response(status: .ok, headers: [
            .contentType: upload.contentType, .cacheControl: "private, no-store", .init("X-Content-Type-Options")!: "nosniff",
        ], body: body)
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
        return APIError.response(.notFound, code: "unknown_input", message: "no input has this URL")
    }
}
