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

    package init(index: Int, sourceURL: String, state: String, url: String?, sha256: String?, bytes: Int64?, contentType: String?,
                 width: Int?, height: Int?, archivedAt: String?, attempts: Int, nextAttemptAt: String?, error: String?) {
        self.index = index
        self.sourceURL = sourceURL
        self.state = state
        self.url = url
        self.sha256 = sha256
        self.bytes = bytes
        self.contentType = contentType
        self.width = width
        self.height = height
        self.archivedAt = archivedAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.error = error
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

    package init(role: String, url: String?, sha256: String, bytes: Int64, contentType: String, width: Int?, height: Int?, pruned: Bool) {
        self.role = role
        self.url = url
        self.sha256 = sha256
        self.bytes = bytes
        self.contentType = contentType
        self.width = width
        self.height = height
        self.pruned = pruned
    }
}
