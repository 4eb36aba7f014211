import DeclutterStore
import Foundation
import Hummingbird

// MARK: - Files: a generation's archived result images and uploaded inputs (docs/archive.md, "Reading the archive")

extension LocalAPIController {
    /// `GET /v1/generations/{id}/images/{n}`: result image `n` (from 0), once archived.
    func image(_ request: Request, _ context: LocalContext) async throws -> Response {
        let generation = try await generation(context)
        let text = context.parameters.get("n") ?? ""
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw APIError.invalidField(.n, "must be a whole number from 0: the image's index")
        }
        let row = try generation.requireRow()
        // Too many digits for an Int is still a whole number: one no generation has.
        guard let index = Int(text), let image = try await database.image(ofRow: row, index: index) else {
            throw APIError(.notFound, code: .notFound, message: "generation \(row) has no image \(text)")
        }
        switch image.state {
        case .archived:
            guard let file = image.file else { throw Self.unrecorded("image \(index) of generation \(row)") }
            return try await serve(file, request, context, generation: row)
        case .pending, .failed:
            throw APIError(.conflict, code: .notArchived, message: "image \(index) of generation \(row) is not archived: \(Self.progress(of: image))")
        case .pruned:
            throw APIError(.gone, code: .pruned, message: "image \(index) of generation \(row) was archived, then removed by retention.images")
        }
    }

    /// `GET /v1/generations/{id}/inputs/{role}`: the photo (`image`) or `mask` uploaded with the submission.
    func input(_ request: Request, _ context: LocalContext) async throws -> Response {
        let generation = try await generation(context)
        guard let role = UploadRole(rawValue: context.parameters.get("role") ?? "") else {
            throw APIError.invalidField(.role, "must be one of \(UploadRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let row = try generation.requireRow()
        guard let upload = try await database.upload(ofRow: row, role: role) else {
            throw APIError(.notFound, code: .notFound, message: "generation \(row) has no uploaded \(role.rawValue)")
        }
        guard upload.prunedAt == nil else {
            throw APIError(.gone, code: .pruned, message: "the uploaded \(role.rawValue) of generation \(row) was removed by retention.images")
        }
        return try await serve(upload.file, request, context, generation: row)
    }

    private func serve(_ file: ArchivedFileFacts, _ request: Request, _ context: LocalContext, generation row: Int64) async throws -> Response {
        var logger = context.logger
        logger[metadataKey: "generation"] = "\(row)"
        try await copies.fetchIfMissing(file)
        return try await FileResponder.response(serving: ServedFile(file, in: archive), to: request.headers, logger: logger)
    }

    /// Where a pending or failed image stands: `pending after 2 attempts, next at …; last error: HTTP 404`.
    static func progress(of image: ImageRecord) -> String {
        let attempts = "\(image.attempts) attempt\(image.attempts == 1 ? "" : "s")"
        let error = image.lastError.map { "; last error: \($0)" } ?? ""
        switch image.state {
        case .pending:
            let next = image.nextAttemptAt.map { ", next at \(StoreFormat.timestamp($0))" } ?? ""
            return "pending after \(attempts)\(next)\(error)"
        default:
            return "\(image.state.rawValue) after \(attempts)\(error)"
        }
    }

    /// A row that says archived but lacks what a file needs: never written so, but a 500 rather than a crash.
    private static func unrecorded(_ what: String) -> APIError {
        APIError(.internalServerError, code: .fileMissing, message: "\(what) is marked archived without its file's SHA-256, size or type")
    }
}
