import DeclutterStore
import Foundation

// The local API's JSON, one type per shape: the daemon encodes them, its client (LocalClient/) decodes
// them. Keys are snake_case, times ISO-8601 UTC; extra fields are ignored when decoding, so an older
// client keeps working against a newer daemon.

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

/// The one JSON encoder of the local API (and of the messages it sends): `PublicJSON`.
enum APIJSON {
    static func encode(_ value: some Encodable) throws -> Data { try PublicJSON.encode(value) }
}
