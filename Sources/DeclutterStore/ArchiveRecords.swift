import Foundation
import GRDB

/// A file as the archive keeps it: named by its SHA-256, checked to be an image of this type and size.
public struct ArchivedFileFacts: Codable, Sendable, Equatable {
    public var sha256: String
    public var bytes: Int64
    public var contentType: String
    public var width: Int?
    public var height: Int?

    enum CodingKeys: String, CodingKey {
        case sha256, bytes, width, height, contentType = "content_type"
    }

    public init(sha256: String, bytes: Int64, contentType: String, width: Int?, height: Int?) {
        self.sha256 = sha256
        self.bytes = bytes
        self.contentType = contentType
        self.width = width
        self.height = height
    }
}

/// One result image of a SUCCEEDED generation: a row of `images` (read and written column by column:
/// `Columns/RecordColumns.swift`).
public struct ImageRecord: Sendable, Equatable {
    public static let databaseTableName = "images"

    public var id: Int64?
    /// `generations.id`.
    public var generation: Int64
    /// Its index in the generation's `images`, from 0: `GET /v1/generations/{id}/images/{position}`.
    public var position: Int
    public var sourceURL: String
    public var state: ImageState
    public var sha256: String?
    public var bytes: Int64?
    public var contentType: String?
    public var width: Int?
    public var height: Int?
    public var archivedAt: Date?
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastHTTPStatus: Int?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    /// A pending image, due at `date`.
    public init(generation: Int64, position: Int, sourceURL: String, at date: Date) {
        self.generation = generation
        self.position = position
        self.sourceURL = sourceURL
        self.state = .pending
        self.attempts = 0
        self.nextAttemptAt = date
        self.createdAt = date
        self.updatedAt = date
    }

    /// Archived: `file` is in the archive since `date`.
    public mutating func keep(_ file: ArchivedFileFacts, at date: Date) {
        state = .archived
        sha256 = file.sha256
        bytes = file.bytes
        contentType = file.contentType
        width = file.width
        height = file.height
        archivedAt = date
        nextAttemptAt = nil
        lastError = nil
    }

    /// The file's facts, once archived (or pruned: what it was).
    public var file: ArchivedFileFacts? {
        guard let sha256, let bytes, let contentType else { return nil }
        return ArchivedFileFacts(sha256: sha256, bytes: bytes, contentType: contentType, width: width, height: height)
    }
}

/// What an uploaded file is to its generation.
public enum UploadRole: String, Codable, Sendable, CaseIterable {
    /// The photo to declutter (`image_url`, or a variation's `original_url`).
    case image
    /// The mask (`mask_url`).
    case mask
}

/// A photo or mask uploaded with a submission: a row of `uploads`. The file is in the archive under its SHA-256;
/// the service fetches it through a capability URL whose token only the hash of is kept.
public struct UploadRecord: Sendable, Equatable {
    public static let databaseTableName = "uploads"

    public var id: Int64?
    public var generation: Int64
    public var role: UploadRole
    public var tokenHash: String
    public var sha256: String
    public var bytes: Int64
    public var contentType: String
    public var width: Int?
    public var height: Int?
    public var createdAt: Date
    public var prunedAt: Date?


    public init(generation: Int64, role: UploadRole, tokenHash: String, file: ArchivedFileFacts, createdAt: Date) {
        self.generation = generation
        self.role = role
        self.tokenHash = tokenHash
        self.sha256 = file.sha256
        self.bytes = file.bytes
        self.contentType = file.contentType
        self.width = file.width
        self.height = file.height
        self.createdAt = createdAt
    }

    public var file: ArchivedFileFacts {
        ArchivedFileFacts(sha256: sha256, bytes: bytes, contentType: contentType, width: width, height: height)
    }

}

/// A file uploaded with a submission, kept in the archive, and the hash of the token the service will fetch it
/// with: `SubmissionRequest.uploads`.
public struct UploadedInput: Sendable, Equatable {
    public var role: UploadRole
    public var tokenHash: String
    public var file: ArchivedFileFacts

    public init(role: UploadRole, tokenHash: String, file: ArchivedFileFacts) {
        self.role = role
        self.tokenHash = tokenHash
        self.file = file
    }

    /// What `image_url` / `mask_url` hold for an uploaded file: the file, never the token.
    public static func reference(sha256: String) -> String { "upload:\(sha256)" }

    /// The SHA-256 of an uploaded file's reference; nil for a URL.
    public static func sha256(ofReference text: String?) -> String? {
        guard let text, text.hasPrefix("upload:") else { return nil }
        return String(text.dropFirst("upload:".count))
    }
}
