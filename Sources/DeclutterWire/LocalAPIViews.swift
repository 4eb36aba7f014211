import Foundation

// The local API's JSON, one type per shape: the daemon encodes them, its client (the LocalClient module) decodes
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

    package init(id: Int64, source: String, receivedAt: String, httpStatus: Int?, rawBody: String?, outcome: String, reason: String?,
                 statusBefore: String?, statusReported: String?) {
        self.id = id
        self.source = source
        self.receivedAt = receivedAt
        self.httpStatus = httpStatus
        self.rawBody = rawBody
        self.outcome = outcome
        self.reason = reason
        self.statusBefore = statusBefore
        self.statusReported = statusReported
    }
}

/// One page of `GET /v1/generations`, newest first.
public struct GenerationListView: Codable, Sendable, Equatable {
    public let generations: [GenerationView]
    public let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case generations, nextCursor = "next_cursor"
    }

    package init(generations: [GenerationView], nextCursor: String?) {
        self.generations = generations
        self.nextCursor = nextCursor
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

    package init(generationID: String?, events: [EventView], nextCursor: String?) {
        self.generationID = generationID
        self.events = events
        self.nextCursor = nextCursor
    }
}

/// `GET /v1/stats`.
public struct StatsView: Codable, Sendable, Equatable {
    public struct Resolution: Codable, Sendable, Equatable {
        public let callback: Int
        public let poll: Int

        package init(callback: Int, poll: Int) {
            self.callback = callback
            self.poll = poll
        }
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
    /// Each local API key with what it has spent in its current window.
    public let keys: [KeyView]

    enum CodingKeys: String, CodingKey {
        case counts, pending, failed, keys
        case remainingPhotos = "remaining_photos", remainingPhotosRecordedAt = "remaining_photos_recorded_at"
        case refundsSince = "refunds_since", resolvedBy = "resolved_by", oldestPendingAgeSeconds = "oldest_pending_age_seconds"
        case pollsInFlight = "polls_in_flight", outcomeUnknown = "outcome_unknown"
    }

    package init(counts: [String: Int], pending: Int, failed: Int, remainingPhotos: Int?, remainingPhotosRecordedAt: String?,
                 refundsSince: Int, resolvedBy: Resolution, oldestPendingAgeSeconds: Double?, pollsInFlight: Int, outcomeUnknown: Int,
                 keys: [KeyView]) {
        self.counts = counts
        self.pending = pending
        self.failed = failed
        self.remainingPhotos = remainingPhotos
        self.remainingPhotosRecordedAt = remainingPhotosRecordedAt
        self.refundsSince = refundsSince
        self.resolvedBy = resolvedBy
        self.oldestPendingAgeSeconds = oldestPendingAgeSeconds
        self.pollsInFlight = pollsInFlight
        self.outcomeUnknown = outcomeUnknown
        self.keys = keys
    }
}
