import Foundation

/// A result image as the outside sees it, on a generation and in its messages.
public struct ArchivedImageView: Codable, Sendable, Equatable {
    /// Its index in the generation's `images`, from 0.
    public let index: Int
    public let sourceURL: String
    public let state: String
    /// Where the local API serves the file, once archived: `/v1/generations/{id}/images/{index}`.
    public let url: String?
    public let sha256: String?
    public let bytes: Int64?
    public let contentType: String?
    public let width: Int?
    public let height: Int?
    public let archivedAt: String?
    public let attempts: Int
    public let nextAttemptAt: String?
    /// Why the last attempt failed.
    public let error: String?

    enum CodingKeys: String, CodingKey {
        case index, state, url, sha256, bytes, width, height, attempts, error
        case sourceURL = "source_url", contentType = "content_type", archivedAt = "archived_at", nextAttemptAt = "next_attempt_at"
    }

    public init(_ image: ImageRecord) {
        index = image.position
        sourceURL = image.sourceURL
        state = image.state.rawValue
        url = image.state == .archived ? ArchivePaths.image(generation: image.generation, index: image.position) : nil
        sha256 = image.sha256
        bytes = image.bytes
        contentType = image.contentType
        width = image.width
        height = image.height
        archivedAt = image.archivedAt.map(StoreFormat.timestamp)
        attempts = image.attempts
        nextAttemptAt = image.nextAttemptAt.map(StoreFormat.timestamp)
        error = image.lastError
    }
}

/// A photo or mask uploaded with the submission.
public struct InputView: Codable, Sendable, Equatable {
    public let role: String
    /// Where the local API serves the file while it is kept: `/v1/generations/{id}/inputs/{role}`.
    public let url: String?
    public let sha256: String
    public let bytes: Int64
    public let contentType: String
    public let width: Int?
    public let height: Int?
    public let pruned: Bool

    enum CodingKeys: String, CodingKey {
        case role, url, sha256, bytes, width, height, pruned, contentType = "content_type"
    }

    public init(_ upload: UploadRecord) {
        role = upload.role.rawValue
        url = upload.prunedAt == nil ? ArchivePaths.input(generation: upload.generation, role: upload.role) : nil
        sha256 = upload.sha256
        bytes = upload.bytes
        contentType = upload.contentType
        width = upload.width
        height = upload.height
        pruned = upload.prunedAt != nil
    }
}

/// The local API's paths of archived files: one place, for the views and the routes' documentation.
public enum ArchivePaths {
    public static func image(generation: Int64, index: Int) -> String { "/v1/generations/\(generation)/images/\(index)" }
    public static func input(generation: Int64, role: UploadRole) -> String { "/v1/generations/\(generation)/inputs/\(role.rawValue)" }
}

/// A generation's archived images and uploaded inputs, read with it.
public struct GenerationFiles: Sendable, Equatable {
    public var images: [ImageRecord]
    public var uploads: [UploadRecord]

    public init(images: [ImageRecord] = [], uploads: [UploadRecord] = []) {
        self.images = images
        self.uploads = uploads
    }
}
