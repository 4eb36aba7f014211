import DeclutterAPI
import Foundation
import GRDB

// The records every callback touches on the writer (generations, events, messages, images) are read from and
// written to their rows column by column, by name: no Codable on that path, and dates and UUIDs written the way
// `StoreFormat` says, as everywhere else. A value a column cannot hold (a message type written by something else,
// say) is a thrown error, as it was with Codable, not a crash.

extension GenerationState: DatabaseValueConvertible {}
extension GenerationKind: DatabaseValueConvertible {}
extension Resolution: DatabaseValueConvertible {}
extension EventSource: DatabaseValueConvertible {}
extension EventOutcome: DatabaseValueConvertible {}
extension MessageType: DatabaseValueConvertible {}
extension ImageState: DatabaseValueConvertible {}
extension UpstreamStatus: DatabaseValueConvertible {}

extension Row {
    /// A timestamp column (`StoreFormat.timestamp`); nil when NULL or not a timestamp.
    func date(_ column: String) -> Date? {
        (self[column] as String?).flatMap(StoreFormat.date(fromTimestamp:))
    }

    /// A UUID column; nil when NULL or not a UUID.
    func uuid(_ column: String) -> UUID? {
        (self[column] as String?).flatMap(UUID.init(uuidString:))
    }
}

extension Date {
    /// How a date column holds it (`StoreFormat.timestamp`), for the row mappings below.
    fileprivate var column: String { StoreFormat.timestamp(self) }
}

extension UUID {
    /// How a UUID column holds it (`StoreFormat.uuid`), for the row mappings below.
    fileprivate var column: String { StoreFormat.uuid(self) }
}

extension GenerationRecord: FetchableRecord, MutablePersistableRecord {
    /// The hottest read of the writer: GRDB's plain subscripts, which cannot fail here (every enum column of
    /// `generations` has a CHECK that admits only the values its type knows).
    public init(row: Row) throws {
        id = row["id"]
        generationID = row.uuid("generation_id")
        projectID = row.uuid("project_id")
        parentGenerationID = row.uuid("parent_generation_id")
        kind = row["kind"]
        status = row["status"]
        statusReason = row["status_reason"]
        imageURL = row["image_url"]
        maskURL = row["mask_url"]
        auto = row["auto"]
        images = (row["images"] as String?).flatMap(ResultURLs.decode)
        variations = row["variations"]
        callbackTokenHash = row["callback_token_hash"]
        idempotencyKey = row["idempotency_key"]
        remainingPhotos = row["remaining_photos"]
        refunded = row["refunded"]
        resolvedBy = row["resolved_by"]
        createdAt = row.date("created_at") ?? .distantPast
        submittedAt = row.date("submitted_at")
        updatedAt = row.date("updated_at") ?? .distantPast
        completedAt = row.date("completed_at")
        nextPollAt = row.date("next_poll_at")
        pollAttempts = row["poll_attempts"]
        pollFailures = row["poll_failures"]
        lastPolledAt = row.date("last_polled_at")
        version = row["version"]
    }

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["generation_id"] = generationID?.column
        container["project_id"] = projectID?.column
        container["parent_generation_id"] = parentGenerationID?.column
        container["kind"] = kind
        container["status"] = status
        container["status_reason"] = statusReason
        container["image_url"] = imageURL
        container["mask_url"] = maskURL
        container["auto"] = auto
        container["images"] = images.map(ResultURLs.encode)
        container["variations"] = variations
        container["callback_token_hash"] = callbackTokenHash
        container["idempotency_key"] = idempotencyKey
        container["remaining_photos"] = remainingPhotos
        container["refunded"] = refunded
        container["resolved_by"] = resolvedBy
        container["created_at"] = createdAt.column
        container["submitted_at"] = submittedAt?.column
        container["updated_at"] = updatedAt.column
        container["completed_at"] = completedAt?.column
        container["next_poll_at"] = nextPollAt?.column
        container["poll_attempts"] = pollAttempts
        container["poll_failures"] = pollFailures
        container["last_polled_at"] = lastPolledAt?.column
        container["version"] = version
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// `generations.images`: the result URLs as a JSON array of strings, slashes unescaped so `sqlite3` shows them
/// as they are.
enum ResultURLs {
    static func encode(_ urls: [String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return (try? encoder.encode(urls)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }

    static func decode(_ text: String) -> [String]? {
        guard case .array(let elements)? = JSONValue.parse(text.utf8) else { return nil }
        return elements.compactMap { element in
            guard case .string(let url) = element else { return nil }
            return url
        }
    }
}

extension EventRecord: FetchableRecord, MutablePersistableRecord {
    public init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        generation = try row.decode(forColumn: "generation")
        source = try row.decode(forColumn: "source")
        receivedAt = row.date("received_at") ?? .distantPast
        httpStatus = try row.decode(forColumn: "http_status")
        rawBody = try row.decode(forColumn: "raw_body")
        outcome = try row.decode(forColumn: "outcome")
        reason = try row.decode(forColumn: "reason")
        statusBefore = try row.decode(forColumn: "status_before")
        statusReported = try row.decode(forColumn: "status_reported")
    }

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        for (column, value) in zip(Self.insertedColumns, insertedValues) { container[column] = value }
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// Inserts the row with a statement compiled once per connection (GRDB's `insert` builds its SQL at each
    /// call): an event is the writer's most frequent insert, one with nearly every callback.
    mutating func insertRow(_ db: Database) throws {
        try db.cachedStatement(sql: Self.insertSQL).execute(arguments: StatementArguments(insertedValues))
        id = db.lastInsertedRowID
    }

    private static let insertedColumns = [
        "generation", "source", "received_at", "http_status", "raw_body", "outcome", "reason", "status_before", "status_reported",
    ]
    private static let insertSQL = "INSERT INTO events (\(insertedColumns.joined(separator: ", "))) VALUES ("
        + Array(repeating: "?", count: insertedColumns.count).joined(separator: ", ") + ")"

    /// In the order of `insertedColumns`.
    private var insertedValues: [(any DatabaseValueConvertible)?] {
        [generation, source, receivedAt.column, httpStatus, rawBody, outcome, reason, statusBefore, statusReported]
    }
}

extension MessageRecord: FetchableRecord, MutablePersistableRecord {
    public init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        type = try row.decode(forColumn: "type")
        generation = try row.decode(forColumn: "generation")
        version = try row.decode(forColumn: "version")
        createdAt = row.date("created_at") ?? .distantPast
        body = try row.decode(forColumn: "body")
    }

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["type"] = type
        container["generation"] = generation
        container["version"] = version
        container["created_at"] = createdAt.column
        container["body"] = body
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension ImageRecord: FetchableRecord, MutablePersistableRecord {
    public init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        generation = try row.decode(forColumn: "generation")
        position = try row.decode(forColumn: "position")
        sourceURL = try row.decode(forColumn: "source_url")
        state = try row.decode(forColumn: "state")
        sha256 = try row.decode(forColumn: "sha256")
        bytes = try row.decode(forColumn: "bytes")
        contentType = try row.decode(forColumn: "content_type")
        width = try row.decode(forColumn: "width")
        height = try row.decode(forColumn: "height")
        archivedAt = row.date("archived_at")
        attempts = try row.decode(forColumn: "attempts")
        nextAttemptAt = row.date("next_attempt_at")
        lastHTTPStatus = try row.decode(forColumn: "last_http_status")
        lastError = try row.decode(forColumn: "last_error")
        createdAt = row.date("created_at") ?? .distantPast
        updatedAt = row.date("updated_at") ?? .distantPast
    }

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["generation"] = generation
        container["position"] = position
        container["source_url"] = sourceURL
        container["state"] = state
        container["sha256"] = sha256
        container["bytes"] = bytes
        container["content_type"] = contentType
        container["width"] = width
        container["height"] = height
        container["archived_at"] = archivedAt?.column
        container["attempts"] = attempts
        container["next_attempt_at"] = nextAttemptAt?.column
        container["last_http_status"] = lastHTTPStatus
        container["last_error"] = lastError
        container["created_at"] = createdAt.column
        container["updated_at"] = updatedAt.column
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
