import DeclutterAPI
import Foundation
import PostgresNIO

// The records as PostgreSQL's rows hold them, column by column by name, as `RecordRows.swift` does for SQLite.
// An enum column holds the same raw values in both (bound as their raw values); a value its type does not know
// is a thrown error.

extension GenerationState: PostgresTextEnum {}
extension GenerationKind: PostgresTextEnum {}
extension Resolution: PostgresTextEnum {}
extension EventSource: PostgresTextEnum {}
extension EventOutcome: PostgresTextEnum {}
extension MessageType: PostgresTextEnum {}
extension ImageState: PostgresTextEnum {}
extension UpstreamStatus: PostgresTextEnum {}
extension UploadRole: PostgresTextEnum {}
extension DeliveryStatus: PostgresTextEnum {}

/// An enum stored as its raw text. (Decoded here: postgres-nio's own decoders for raw values and for Codable
/// types would both match these Codable enums.)
protocol PostgresTextEnum: RawRepresentable<String>, PostgresDecodable {}

extension PostgresTextEnum {
    public init<JSONDecoder: PostgresJSONDecoder>(from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
                                                  context: PostgresDecodingContext<JSONDecoder>) throws {
        guard let value = Self(rawValue: try String(from: &buffer, type: type, format: format, context: context)) else {
            throw PostgresDecodingError.Code.failure
        }
        self = value
    }
}

/// A row read by column name.
struct PostgresColumns {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    func callAsFunction<Value: PostgresDecodable>(_ column: String, as type: Value.Type = Value.self) throws -> Value {
        try row[column].decode(Value.self)
    }
}

extension GenerationRecord {
    /// The columns `init(postgres:)` reads, for `SELECT`s; `images` as text.
    static let postgresColumns = """
        id, generation_id, project_id, parent_generation_id, kind, status, status_reason, image_url, mask_url, auto,
        images::text AS images, variations, callback_token_hash, idempotency_key, remaining_photos, refunded, resolved_by,
        created_at, submitted_at, updated_at, completed_at, next_poll_at, poll_attempts, poll_failures, last_polled_at, version
        """

    init(postgres row: PostgresRow) throws {
        let column = PostgresColumns(row)
        self.init(kind: try column("kind"), status: try column("status"), createdAt: try column("created_at"))
        id = try column("id", as: Int64.self)
        generationID = try column("generation_id")
        projectID = try column("project_id")
        parentGenerationID = try column("parent_generation_id")
        statusReason = try column("status_reason")
        imageURL = try column("image_url")
        maskURL = try column("mask_url")
        auto = try column("auto")
        images = try column("images", as: String?.self).flatMap(ResultURLs.decode)
        variations = try column("variations", as: Int?.self)
        callbackTokenHash = try column("callback_token_hash")
        idempotencyKey = try column("idempotency_key")
        remainingPhotos = try column("remaining_photos", as: Int?.self)
        refunded = try column("refunded")
        resolvedBy = try column("resolved_by")
        submittedAt = try column("submitted_at")
        updatedAt = try column("updated_at")
        completedAt = try column("completed_at")
        nextPollAt = try column("next_poll_at")
        pollAttempts = try column("poll_attempts", as: Int.self)
        pollFailures = try column("poll_failures", as: Int.self)
        lastPolledAt = try column("last_polled_at")
        version = try column("version", as: Int.self)
    }

    /// Every column but `id` and the leases, for `INSERT` and `UPDATE`.
    var postgresValues: PostgresRowValues {
        var values = PostgresRowValues()
        values.add("generation_id", generationID)
        values.add("project_id", projectID)
        values.add("parent_generation_id", parentGenerationID)
        values.add("kind", kind.rawValue)
        values.add("status", status.rawValue)
        values.add("status_reason", statusReason)
        values.add("image_url", imageURL)
        values.add("mask_url", maskURL)
        values.add("auto", auto)
        values.addJSON("images", images.map(ResultURLs.encode))
        values.add("variations", variations)
        values.add("callback_token_hash", callbackTokenHash)
        values.add("idempotency_key", idempotencyKey)
        values.add("remaining_photos", remainingPhotos)
        values.add("refunded", refunded)
        values.add("resolved_by", resolvedBy?.rawValue)
        values.add("created_at", createdAt)
        values.add("submitted_at", submittedAt)
        values.add("updated_at", updatedAt)
        values.add("completed_at", completedAt)
        values.add("next_poll_at", nextPollAt)
        values.add("poll_attempts", pollAttempts)
        values.add("poll_failures", pollFailures)
        values.add("last_polled_at", lastPolledAt)
        values.add("version", version)
        return values
    }
}

/// A row's values by column: bound as parameters for one `INSERT` or `UPDATE`, or written as a JSON object for a
/// statement that writes a whole batch (`jsonb_populate_recordset`), so each table's columns are listed once for both.
struct PostgresRowValues {
    private var columns: [String] = []
    private var placeholders: [String] = []
    private var bindings = PostgresBindings()
    /// `"column":value`, for `json`.
    private var fields: [String] = []

    mutating func add<Value: PostgresDynamicTypeEncodable & PostgresJSONField>(_ column: String, _ value: Value?) {
        append(column, value, cast: nil, json: value?.postgresJSON)
    }

    /// A `jsonb` column, given as JSON text.
    mutating func addJSON(_ column: String, _ text: String?) {
        append(column, text, cast: "jsonb", json: text)
    }

    private mutating func append(_ column: String, _ value: (some PostgresDynamicTypeEncodable)?, cast: String?, json: String?) {
        bindings.append(value)
        columns.append(column)
        placeholders.append("$\(bindings.count)" + (cast.map { "::" + $0 } ?? ""))
        fields.append(PostgresJSONText.quote(column) + ":" + (json ?? "null"))
    }

    /// `then`: what follows the values (`RETURNING id`, `ON CONFLICT ... DO NOTHING`), or "".
    func insert(into table: String, then: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders.joined(separator: ", "))) \(then)",
                      binds: bindings)
    }

    func update(_ table: String, id: Int64) -> PostgresQuery {
        var bindings = bindings
        bindings.append(id)
        let assignments = zip(columns, placeholders).map { "\($0) = \($1)" }.joined(separator: ", ")
        return PostgresQuery(unsafeSQL: "UPDATE \(table) SET \(assignments) WHERE id = $\(bindings.count)", binds: bindings)
    }

    /// The columns, as a batch statement lists them.
    var columnList: String { columns.joined(separator: ", ") }

    /// `column = source.column, ...`: a batch `UPDATE`'s assignments from the rows named `source`.
    func assignments(from source: String) -> String {
        columns.map { column -> String in "\(column) = \(source).\(column)" }.joined(separator: ", ")
    }

    /// The row as a JSON object, with its `id` when it has one (a batch `UPDATE` matches rows by it).
    func json(id: Int64? = nil) -> String {
        "{" + ((id.map { ["\"id\":\($0)"] } ?? []) + fields).joined(separator: ",") + "}"
    }
}

extension EventRecord {
    static let postgresColumns = """
        id, generation, source, received_at, http_status, raw_body, raw_body_binary, outcome, reason, status_before, status_reported
        """

    init(postgres row: PostgresRow) throws {
        let column = PostgresColumns(row)
        let text: String? = try column("raw_body")
        let binary: ByteBuffer? = try column("raw_body_binary")
        self.init(
            id: try column("id", as: Int64.self), generation: try column("generation"), source: try column("source"),
            receivedAt: try column("received_at"), httpStatus: try column("http_status", as: Int?.self),
            rawBody: text.map { RawBody(Data($0.utf8)) } ?? binary.map { RawBody(Data($0.readableBytesView)) },
            outcome: try column("outcome"), reason: try column("reason"),
            statusBefore: try column("status_before"), statusReported: try column("status_reported"))
    }
}

extension EventRecord {
    /// Every column but `id`, for `INSERT`.
    var postgresValues: PostgresRowValues {
        var values = PostgresRowValues()
        values.add("generation", generation)
        values.add("source", source.rawValue)
        values.add("received_at", receivedAt)
        values.add("http_status", httpStatus)
        values.add("raw_body", rawBody?.postgresText)
        values.add("raw_body_binary", rawBody?.postgresBinary)
        values.add("outcome", outcome.rawValue)
        values.add("reason", reason)
        values.add("status_before", statusBefore?.rawValue)
        values.add("status_reported", statusReported?.rawValue)
        return values
    }
}

extension MessageRecord {
    /// Every column but `id`, for `INSERT`.
    var postgresValues: PostgresRowValues {
        var values = PostgresRowValues()
        values.add("type", type.rawValue)
        values.add("generation", generation)
        values.add("version", version)
        values.add("created_at", createdAt)
        values.add("body", body)
        return values
    }
}

extension RawBody {
    /// PostgreSQL's `text` cannot hold NUL: such a body, like one that is not UTF-8, goes to the binary column.
    var postgresText: String? {
        guard !bytes.contains(0) else { return nil }
        return text
    }

    var postgresBinary: ByteBuffer? {
        postgresText == nil ? ByteBuffer(bytes: bytes) : nil
    }
}

extension MessageRecord {
    static let postgresColumns = "id, type, generation, version, created_at, body"

    init(postgres row: PostgresRow) throws {
        let column = PostgresColumns(row)
        self.init(type: try column("type"), generation: try column("generation"),
                  version: try column("version", as: Int?.self), createdAt: try column("created_at"),
                  body: try column("body"))
        id = try column("id", as: Int64.self)
    }
}

extension ProjectRecord {
    static let postgresColumns = "id, created_at, updated_at, variations_count"

    init(postgres row: PostgresRow) throws {
        let column = PostgresColumns(row)
        self.init(id: try column("id"), createdAt: try column("created_at"), updatedAt: try column("updated_at"),
                  variationsCount: try column("variations_count", as: Int.self))
    }
}

extension QuotaRecord {
    static let postgresColumns = "id, recorded_at, remaining_photos, generation"

    init(postgres row: PostgresRow) throws {
        let column = PostgresColumns(row)
        self.init(id: try column("id", as: Int64.self), recordedAt: try column("recorded_at"),
                  remainingPhotos: try column("remaining_photos", as: Int.self), generation: try column("generation"))
    }
}

extension ImageRecord {
    static let postgresColumns = """
        id, generation, position, source_url, state, sha256, bytes, content_type, width, height, archived_at, attempts,
        next_attempt_at, last_http_status, last_error, created_at, updated_at
        """

    init(postgres row: PostgresRow) throws {
        let column = PostgresColumns(row)
        self.init(generation: try column("generation"), position: try column("position"), sourceURL: try column("source_url"),
                  at: try column("created_at"))
        id = try column("id", as: Int64.self)
        state = try column("state")
        sha256 = try column("sha256")
        bytes = try column("bytes")
        contentType = try column("content_type")
        width = try column("width")
        height = try column("height")
        archivedAt = try column("archived_at")
        attempts = try column("attempts")
        nextAttemptAt = try column("next_attempt_at")
        lastHTTPStatus = try column("last_http_status")
        lastError = try column("last_error")
        updatedAt = try column("updated_at")
    }

    var postgresValues: PostgresRowValues {
        var values = PostgresRowValues()
        values.add("generation", generation)
        values.add("position", position)
        values.add("source_url", sourceURL)
        values.add("state", state.rawValue)
        values.add("sha256", sha256)
        values.add("bytes", bytes)
        values.add("content_type", contentType)
        values.add("width", width)
        values.add("height", height)
        values.add("archived_at", archivedAt)
        values.add("attempts", attempts)
        values.add("next_attempt_at", nextAttemptAt)
        values.add("last_http_status", lastHTTPStatus)
        values.add("last_error", lastError)
        values.add("created_at", createdAt)
        values.add("updated_at", updatedAt)
        return values
    }
}

extension UploadRecord {
    static let postgresColumns = "id, generation, role, token_hash, sha256, bytes, content_type, width, height, created_at, pruned_at"

    init(postgres row: PostgresRow) throws {
        let column = PostgresColumns(row)
        let file = ArchivedFileFacts(sha256: try column("sha256"), bytes: try column("bytes"), contentType: try column("content_type"),
                                     width: try column("width"), height: try column("height"))
        self.init(generation: try column("generation"), role: try column("role"), tokenHash: try column("token_hash"), file: file,
                  createdAt: try column("created_at"))
        id = try column("id", as: Int64.self)
        prunedAt = try column("pruned_at")
    }

    var postgresValues: PostgresRowValues {
        var values = PostgresRowValues()
        values.add("generation", generation)
        values.add("role", role.rawValue)
        values.add("token_hash", tokenHash)
        values.add("sha256", sha256)
        values.add("bytes", bytes)
        values.add("content_type", contentType)
        values.add("width", width)
        values.add("height", height)
        values.add("created_at", createdAt)
        values.add("pruned_at", prunedAt)
        return values
    }
}
