import DeclutterStore
import Foundation

// The local API's JSON, one type per shape: the daemon encodes them, its client (LocalClient/) decodes
// them. Keys are snake_case, times ISO-8601 UTC; extra fields are ignored when decoding, so an older
// client keeps working against a newer daemon.

/// A generation as the local API shows it.
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

    enum CodingKeys: String, CodingKey {
        case id, kind, status, auto, images, variations, refunded
        case generationID = "generation_id", projectID = "project_id", parentGenerationID = "parent_generation_id"
        case statusReason = "status_reason", imageURL = "image_url", maskURL = "mask_url"
        case remainingPhotos = "remaining_photos", resolvedBy = "resolved_by", createdAt = "created_at", submittedAt = "submitted_at"
        case updatedAt = "updated_at", completedAt = "completed_at", nextPollAt = "next_poll_at", pollAttempts = "poll_attempts"
    }

    init(_ record: GenerationRecord) {
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
    }
}

/// One event of a generation's audit trail.
public struct EventView: Codable, Sendable, Equatable {
    public let id: Int64
    public let source: String
    public let receivedAt: String
    public let httpStatus: Int?
    public let rawBody: String?
    public let outcome: String
    public let reason: String?
    public let statusBefore: String?
    public let statusReported: String?

    enum CodingKeys: String, CodingKey {
        case id, source, outcome, reason
        case receivedAt = "received_at", httpStatus = "http_status", rawBody = "raw_body"
        case statusBefore = "status_before", statusReported = "status_reported"
    }

    init(_ record: EventRecord) {
        id = record.id ?? 0
        source = record.source.rawValue
        receivedAt = StoreFormat.timestamp(record.receivedAt)
        httpStatus = record.httpStatus
        rawBody = record.rawBody.map { $0.text ?? "base64:" + $0.bytes.base64EncodedString() }
        outcome = record.outcome.rawValue
        reason = record.reason
        statusBefore = record.statusBefore?.rawValue
        statusReported = record.statusReported?.rawValue
    }
}

struct ReadinessView: Encodable {
    let status: String
    let reasons: [String]
}

/// One page of `GET /v1/generations`, newest first.
public struct GenerationListView: Codable, Sendable, Equatable {
    public let generations: [GenerationView]
    public let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case generations, nextCursor = "next_cursor"
    }
}

/// `GET /v1/generations/{id}/events`.
public struct EventListView: Codable, Sendable, Equatable {
    public let generationID: String?
    public let events: [EventView]
    /// Where the next page starts (`?cursor=`), when there is one.
    public let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case events, generationID = "generation_id", nextCursor = "next_cursor"
    }
}

struct ProjectView: Encodable {
    let id: String
    let createdAt: String
    let variationsCount: Int
    let generations: [GenerationView]
}

/// `GET /v1/stats`.
public struct StatsView: Codable, Sendable, Equatable {
    public struct Resolution: Codable, Sendable, Equatable {
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
    public let outcomeUnknown: Int

    enum CodingKeys: String, CodingKey {
        case counts, pending, failed
        case remainingPhotos = "remaining_photos", remainingPhotosRecordedAt = "remaining_photos_recorded_at"
        case refundsSince = "refunds_since", resolvedBy = "resolved_by", oldestPendingAgeSeconds = "oldest_pending_age_seconds"
        case pollsInFlight = "polls_in_flight", outcomeUnknown = "outcome_unknown"
    }

    init(_ stats: StoreStats, pollsInFlight: Int, now: Date) {
        counts = Dictionary(uniqueKeysWithValues: GenerationState.allCases.map { ($0.rawValue.lowercased(), stats.countsByState[$0] ?? 0) })
        pending = stats.pending
        failed = stats.endedWithoutResult
        remainingPhotos = stats.latestQuota?.remainingPhotos
        remainingPhotosRecordedAt = stats.latestQuota.map { StoreFormat.timestamp($0.recordedAt) }
        refundsSince = stats.refundsSinceQuota
        resolvedBy = Resolution(callback: stats.resolvedByCallback, poll: stats.resolvedByPoll)
        oldestPendingAgeSeconds = stats.oldestPendingCreatedAt.map { (now.timeIntervalSince($0) * 1000).rounded() / 1000 }
        self.pollsInFlight = pollsInFlight
        outcomeUnknown = stats.unknownOutcomes
    }
}

/// The one JSON encoder of the local API: snake_case keys, sorted, slashes unescaped.
enum APIJSON {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
