import DeclutterStore
import Foundation

// The local API's JSON (APIViews.swift) as the client reads it. Extra fields are ignored, so an
// older client keeps working against a newer daemon.

/// A generation record, as `GET /v1/generations/{id}` answers.
public struct LocalGeneration: Decodable, Sendable, Equatable {
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
    public let updatedAt: String
    public let completedAt: String?
    public let nextPollAt: String?
    public let pollAttempts: Int

    enum CodingKeys: String, CodingKey {
        case id, kind, status, auto, images, variations, refunded
        case generationID = "generation_id", projectID = "project_id", parentGenerationID = "parent_generation_id"
        case statusReason = "status_reason", imageURL = "image_url", maskURL = "mask_url"
        case remainingPhotos = "remaining_photos", resolvedBy = "resolved_by", createdAt = "created_at"
        case updatedAt = "updated_at", completedAt = "completed_at", nextPollAt = "next_poll_at", pollAttempts = "poll_attempts"
    }

    /// Still waiting for an upstream answer (an unknown status counts as settled: nothing to wait for).
    public var isPending: Bool { GenerationState(rawValue: status)?.isPending ?? false }

    /// Ended without images: FAILED, REJECTED or LOST.
    public var endedUnsuccessfully: Bool { ["FAILED", "REJECTED", "LOST"].contains(status) }
}

/// One page of `GET /v1/generations`, newest first.
public struct LocalGenerationPage: Decodable, Sendable, Equatable {
    public let generations: [LocalGeneration]
    public let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case generations, nextCursor = "next_cursor"
    }
}

/// One event of a generation's audit trail.
public struct LocalEvent: Decodable, Sendable, Equatable {
    public let id: Int64
    public let source: String
    public let receivedAt: String
    public let httpStatus: Int?
    public let outcome: String
    public let reason: String?
    public let statusBefore: String?
    public let statusReported: String?

    enum CodingKeys: String, CodingKey {
        case id, source, outcome, reason
        case receivedAt = "received_at", httpStatus = "http_status", statusBefore = "status_before", statusReported = "status_reported"
    }
}

/// `GET /v1/generations/{id}/events`.
public struct LocalEventList: Decodable, Sendable, Equatable {
    public let generationID: String?
    public let events: [LocalEvent]

    enum CodingKeys: String, CodingKey {
        case events, generationID = "generation_id"
    }
}

/// `GET /v1/stats`.
public struct LocalStats: Decodable, Sendable, Equatable {
    public struct Resolution: Decodable, Sendable, Equatable {
        public let callback: Int
        public let poll: Int
    }

    /// Per state, lowercased (`"succeeded": 3`).
    public let counts: [String: Int]
    public let pending: Int
    public let failed: Int
    public let remainingPhotos: Int?
    public let remainingPhotosRecordedAt: String?
    public let refundsSince: Int
    public let resolvedBy: Resolution
    public let oldestPendingAgeSeconds: Double?
    public let pollsInFlight: Int
    public let outcomeUnknown: Int?

    enum CodingKeys: String, CodingKey {
        case counts, pending, failed
        case remainingPhotos = "remaining_photos", remainingPhotosRecordedAt = "remaining_photos_recorded_at"
        case refundsSince = "refunds_since", resolvedBy = "resolved_by", oldestPendingAgeSeconds = "oldest_pending_age_seconds"
        case pollsInFlight = "polls_in_flight", outcomeUnknown = "outcome_unknown"
    }
}

/// An answer: the decoded value, and the body exactly as the daemon sent it (for `--json`).
public struct LocalReply<Value: Sendable>: Sendable {
    public let value: Value
    public let body: Data
    public let httpStatus: Int
    /// `Idempotent-Replayed: true`: an earlier submission with the same key was answered again.
    public let replayed: Bool
}

/// The filters of `GET /v1/generations`.
public struct GenerationQuery: Sendable, Equatable {
    public var status: String?
    public var projectID: String?
    /// An ISO-8601 UTC time.
    public var since: String?
    public var limit: Int?
    public var cursor: String?

    public init(status: String? = nil, projectID: String? = nil, since: String? = nil, limit: Int? = nil, cursor: String? = nil) {
        self.status = status
        self.projectID = projectID
        self.since = since
        self.limit = limit
        self.cursor = cursor
    }

    var queryItems: [(String, String)] {
        [("status", status), ("project_id", projectID), ("since", since), ("limit", limit.map(String.init)), ("cursor", cursor)]
            .compactMap { name, value in value.map { (name, $0) } }
    }

    /// `--since`: an ISO-8601 UTC time as is, or an age such as `90s`, `15m`, `2h`, `3d` counted back from `now`.
    public static func sinceTimestamp(_ text: String, now: Date) -> String? {
        if StoreFormat.date(fromTimestamp: text) != nil || ISO8601DateFormatter().date(from: text) != nil { return text }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        guard let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0, amount.isFinite else { return nil }
        return StoreFormat.timestamp(now.addingTimeInterval(-amount * unit))
    }
}
