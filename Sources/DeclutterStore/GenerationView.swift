import Foundation

// The JSON the outside sees: the local API's answers and the outbox's messages are the same shapes,
// encoded by the same encoder.

/// A generation as the outside sees it: `GET /v1/generations/{id}` answers it, and every message about the
/// generation carries it as its `data`.
public struct GenerationView: Codable, Sendable, Equatable {
    public let id: Int64
    public let generationID: String?
    public let projectID: String?
    public let parentGenerationID: String?
    public let kind: String
    public let status: String
    public let statusReason: String?
    public let imageURL: String?
    public let maskURL: String?
    public let auto: Bool?
    public let images: [String]
    public let variations: Int?
    public let remainingPhotos: Int?
    public let refunded: Bool
    public let resolvedBy: String?
    public let createdAt: String
    public let submittedAt: String?
    public let updatedAt: String
    public let completedAt: String?
    public let nextPollAt: String?
    public let pollAttempts: Int
    /// Grows with each message about the generation.
    public let version: Int
    /// Its result images in the archive; nil in lists (read one generation to see them).
    public let archive: [ArchivedImageView]?
    /// The photo and mask uploaded with it; nil in lists.
    public let inputs: [InputView]?

    enum CodingKeys: String, CodingKey {
        case id, kind, status, auto, images, variations, refunded
        case generationID = "generation_id", projectID = "project_id", parentGenerationID = "parent_generation_id"
        case statusReason = "status_reason", imageURL = "image_url", maskURL = "mask_url"
        case remainingPhotos = "remaining_photos", resolvedBy = "resolved_by", createdAt = "created_at", submittedAt = "submitted_at"
        case updatedAt = "updated_at", completedAt = "completed_at", nextPollAt = "next_poll_at", pollAttempts = "poll_attempts", version
        case archive, inputs
    }

    /// With `files`, the view of one generation (archive and inputs listed); without, a line of a list.
    public init(_ record: GenerationRecord, files: GenerationFiles? = nil) {
        id = record.id ?? 0
        generationID = record.generationID.map(StoreFormat.uuid)
        projectID = record.projectID.map(StoreFormat.uuid)
        parentGenerationID = record.parentGenerationID.map(StoreFormat.uuid)
        kind = record.kind.rawValue
        status = record.status.rawValue
        statusReason = record.statusReason
        imageURL = record.imageURL
        maskURL = record.maskURL
        auto = record.auto
        images = record.images ?? []
        variations = record.variations
        remainingPhotos = record.remainingPhotos
        refunded = record.refunded
        resolvedBy = record.resolvedBy?.rawValue
        createdAt = StoreFormat.timestamp(record.createdAt)
        submittedAt = record.submittedAt.map(StoreFormat.timestamp)
        updatedAt = StoreFormat.timestamp(record.updatedAt)
        completedAt = record.completedAt.map(StoreFormat.timestamp)
        nextPollAt = record.nextPollAt.map(StoreFormat.timestamp)
        pollAttempts = record.pollAttempts
        version = record.version
        archive = files.map { $0.images.map(ArchivedImageView.init) }
        inputs = files.map { $0.uploads.map(InputView.init) }
    }
}

/// The one JSON encoder for what leaves the daemon: snake_case keys, sorted, slashes unescaped.
public enum PublicJSON {
    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
