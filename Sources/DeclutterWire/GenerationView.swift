import Foundation

// The JSON the outside sees: the local API's answers and the outbox's messages are the same shapes,
// encoded by the same encoder (PublicJSON). The store maps its records to them (DeclutterStore/Views+Records.swift).

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
    /// The name of the local API key that launched it; nil without one.
    public let key: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, status, auto, images, variations, refunded
        case generationID = "generation_id", projectID = "project_id", parentGenerationID = "parent_generation_id"
        case statusReason = "status_reason", imageURL = "image_url", maskURL = "mask_url"
        case remainingPhotos = "remaining_photos", resolvedBy = "resolved_by", createdAt = "created_at", submittedAt = "submitted_at"
        case updatedAt = "updated_at", completedAt = "completed_at", nextPollAt = "next_poll_at", pollAttempts = "poll_attempts", version
        case archive, inputs, key
    }

    package init(id: Int64, generationID: String?, projectID: String?, parentGenerationID: String?, kind: String, status: String,
                 statusReason: String?, imageURL: String?, maskURL: String?, auto: Bool?, images: [String], variations: Int?,
                 remainingPhotos: Int?, refunded: Bool, resolvedBy: String?, createdAt: String, submittedAt: String?, updatedAt: String,
                 completedAt: String?, nextPollAt: String?, pollAttempts: Int, version: Int, archive: [ArchivedImageView]?,
                 inputs: [InputView]?, key: String?) {
        self.id = id
        self.generationID = generationID
        self.projectID = projectID
        self.parentGenerationID = parentGenerationID
        self.kind = kind
        self.status = status
        self.statusReason = statusReason
        self.imageURL = imageURL
        self.maskURL = maskURL
        self.auto = auto
        self.images = images
        self.variations = variations
        self.remainingPhotos = remainingPhotos
        self.refunded = refunded
        self.resolvedBy = resolvedBy
        self.createdAt = createdAt
        self.submittedAt = submittedAt
        self.updatedAt = updatedAt
        self.completedAt = completedAt
        self.nextPollAt = nextPollAt
        self.pollAttempts = pollAttempts
        self.version = version
        self.archive = archive
        self.inputs = inputs
        self.key = key
    }
}
