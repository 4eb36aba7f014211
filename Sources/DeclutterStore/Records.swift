import DeclutterAPI
import Foundation
import GRDB

/// How a generation came to be tracked.
public enum GenerationKind: String, Codable, Sendable, CaseIterable {
    case generation, variation, tracked
}

/// Who resolved a generation to a terminal state.
public enum Resolution: String, Codable, Sendable {
    case callback, poll
}

/// One generation: a row of `generations` (its columns: `Columns/RecordColumns.swift`).
public struct GenerationRecord: Sendable, Equatable {
    public static let databaseTableName = "generations"

    public var id: Int64?
    public var generationID: UUID?
    public var projectID: UUID?
    public var parentGenerationID: UUID?
    public var kind: GenerationKind
    public var status: GenerationState
    public var statusReason: String?
    public var imageURL: String?
    public var maskURL: String?
    public var auto: Bool?
    public var images: [String]?
    public var variations: Int?
    public var callbackTokenHash: String?
    public var idempotencyKey: String?
    public var remainingPhotos: Int?
    public var refunded: Bool
    public var resolvedBy: Resolution?
    public var createdAt: Date
    public var submittedAt: Date?
    public var updatedAt: Date
    public var completedAt: Date?
    public var nextPollAt: Date?
    public var pollAttempts: Int
    public var pollFailures: Int
    public var lastPolledAt: Date?
    /// Bumped with each message about this generation: a receiver drops a message older than one it has.
    public var version: Int
    /// The listing photo it was launched for (`listing_photos.id`); nil for a generation of its own.
    public var listingPhoto: Int64?
    /// The name of the local API key that launched it (`api_keys.name`); nil without one (auth off, the unix socket).
    public var keyName: String?

    public enum Columns {
        public static let id = Column("id")
        public static let generationID = Column("generation_id")
        public static let projectID = Column("project_id")
        public static let status = Column("status")
        public static let callbackTokenHash = Column("callback_token_hash")
        public static let createdAt = Column("created_at")
        public static let nextPollAt = Column("next_poll_at")
    }

    public init(kind: GenerationKind, status: GenerationState, createdAt: Date) {
        self.kind = kind
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.refunded = false
        self.pollAttempts = 0
        self.pollFailures = 0
        self.version = 0
    }
}

/// Where an event came from.
public enum EventSource: String, Codable, Sendable {
    case submission, callback, poll
    /// The daemon itself gave up waiting (LOST).
    case giveup
}

/// One inbound answer or local decision about a generation: a row of `events`, the audit trail (read and
/// written column by column: `Columns/RecordColumns.swift`).
public struct EventRecord: Sendable, Equatable {
    public static let databaseTableName = "events"

    public var id: Int64?
    public var generation: Int64
    public var source: EventSource
    public var receivedAt: Date
    public var httpStatus: Int?
    public var rawBody: RawBody?
    public var outcome: EventOutcome
    public var reason: String?
    public var statusBefore: GenerationState?
    public var statusReported: UpstreamStatus?

    public enum Columns {
        public static let id = Column("id")
        public static let generation = Column("generation")
        public static let source = Column("source")
        public static let outcome = Column("outcome")
    }
}

/// A raw body as received: stored as TEXT when it is UTF-8 (readable in `sqlite3`), as a BLOB otherwise.
public struct RawBody: Sendable, Equatable, DatabaseValueConvertible {
    public var bytes: Data

    public init(_ bytes: Data) { self.bytes = bytes }

    public var text: String? { String(validating: bytes, as: UTF8.self) }

    public var databaseValue: DatabaseValue {
        text.map(\.databaseValue) ?? bytes.databaseValue
    }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> RawBody? {
        switch dbValue.storage {
        case .string(let text): RawBody(Data(text.utf8))
        case .blob(let data): RawBody(data)
        default: nil
        }
    }
}

/// A project: a row of `projects`.
public struct ProjectRecord: Sendable, Equatable {
    public static let databaseTableName = "projects"

    public var id: UUID
    public var createdAt: Date
    public var updatedAt: Date
    public var variationsCount: Int

}

/// A `remaining_photos` reading: a row of `quota_history`.
public struct QuotaRecord: Sendable, Equatable {
    public static let databaseTableName = "quota_history"

    public var id: Int64?
    public var recordedAt: Date
    public var remainingPhotos: Int
    public var generation: Int64?

}

/// An `Idempotency-Key` and the generation it first produced.
struct IdempotencyRecord: Sendable {
    static let databaseTableName = "idempotency_keys"

    var key: String
    var requestFingerprint: String
    var generation: Int64
    var createdAt: Date

}
