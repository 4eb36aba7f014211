import Foundation

/// One message of the outbox: a row of `messages`. Its `body` is the JSON every receiver gets. (Read and written
/// column by column: `Columns/RecordColumns.swift`.)
public struct MessageRecord: Sendable, Equatable {
    public static let databaseTableName = "messages"

    public var id: Int64?
    public var type: MessageType
    /// `generations.id`; nil for `quota.low`.
    public var generation: Int64?
    public var version: Int?
    public var createdAt: Date
    public var body: String

    /// The sequence number: the event stream's `id:`, ordered as the messages were committed.
    public var sequence: Int64 { id ?? 0 }

    /// The Standard Webhooks `webhook-id`: the same for every attempt and replay of this message.
    public var webhookID: String { "msg_\(sequence)" }
}

/// What the outbox decides on its own: when `quota.low` is sent.
public struct OutboxPolicy: Sendable, Equatable {
    /// `quota.low` when `remaining_photos` falls to this or below (once per fall); nil: never.
    public var quotaLowThreshold: Int?

    public init(quotaLowThreshold: Int? = 10) {
        self.quotaLowThreshold = quotaLowThreshold
    }

    /// Whether a reading of `remaining` after `previous` is the fall `quota.low` announces.
    func isFall(to remaining: Int, from previous: Int?) -> Bool {
        guard let threshold = quotaLowThreshold, remaining <= threshold else { return false }
        return previous.map { $0 > threshold } ?? true
    }
}

/// The body of every message: `{"type", "timestamp", "data"}`.
struct MessageBody<Payload: Encodable>: Encodable {
    let type: String
    let timestamp: String
    let data: Payload
}

/// `quota.low`'s `data`.
public struct QuotaLowView: Codable, Sendable, Equatable {
    public let remainingPhotos: Int
    public let threshold: Int
    /// The generation whose submission answer brought the reading.
    public let generationID: String?
    public let recordedAt: String

    enum CodingKeys: String, CodingKey {
        case remainingPhotos = "remaining_photos", threshold, generationID = "generation_id", recordedAt = "recorded_at"
    }
}

/// What a message says, the same on every backend; each backend writes it in the transaction that made the change
/// it announces (SQLite: `Outbox+SQLite.swift`; PostgreSQL: `PostgresReportPlan.swift`).
enum Outbox {
    /// What a message about `generation` says: the same on every backend.
    static func message(_ type: MessageType, about generation: GenerationRecord, files: GenerationFiles?, at date: Date) throws -> MessageRecord {
        let body = MessageBody(type: type.rawValue, timestamp: StoreFormat.timestamp(date), data: GenerationView(generation, files: files))
        return try message(type, generation: generation.id, version: generation.version, body: body, at: date)
    }

    static func quotaLowMessage(_ view: QuotaLowView, at date: Date) throws -> MessageRecord {
        let body = MessageBody(type: MessageType.quotaLow.rawValue, timestamp: StoreFormat.timestamp(date), data: view)
        return try message(.quotaLow, generation: nil, version: nil, body: body, at: date)
    }

    /// `listing.completed`: the listing with its counts.
    static func listingCompletedMessage(_ view: ListingView, at date: Date) throws -> MessageRecord {
        let body = MessageBody(type: MessageType.listingCompleted.rawValue, timestamp: StoreFormat.timestamp(date), data: view)
        return try message(.listingCompleted, generation: nil, version: nil, body: body, at: date)
    }

    private static func message(_ type: MessageType, generation: Int64?, version: Int?, body: some Encodable, at date: Date) throws -> MessageRecord {
        let json = String(decoding: try PublicJSON.encode(body), as: UTF8.self)
        return MessageRecord(type: type, generation: generation, version: version, createdAt: date, body: json)
    }
}
