import DeclutterAPI
import Foundation

// The columns of the tables every report writes (generations, events, messages, images) and of projects, quota
// readings and idempotency keys: declared once for both engines (`Columns.swift`).

extension GenerationState: TextColumn {}
extension GenerationKind: TextColumn {}
extension Resolution: TextColumn {}
extension EventSource: TextColumn {}
extension EventOutcome: TextColumn {}
extension MessageType: TextColumn {}
extension ImageState: TextColumn {}
extension UpstreamStatus: TextColumn {}

extension GenerationRecord: StoredRecord {
    static let blank = GenerationRecord(kind: .generation, status: .starting, createdAt: .distantPast)

    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("generation_id", generationID)
        row.set("project_id", projectID)
        row.set("parent_generation_id", parentGenerationID)
        row.set("kind", kind)
        row.set("status", status)
        row.set("status_reason", statusReason)
        row.set("image_url", imageURL)
        row.set("mask_url", maskURL)
        row.set("auto", auto)
        row.setJSON("images", images.map(ResultURLs.encode))
        row.set("variations", variations)
        row.set("callback_token_hash", callbackTokenHash)
        row.set("idempotency_key", idempotencyKey)
        row.set("remaining_photos", remainingPhotos)
        row.set("refunded", refunded)
        row.set("resolved_by", resolvedBy)
        row.set("created_at", createdAt)
        row.set("submitted_at", submittedAt)
        row.set("updated_at", updatedAt)
        row.set("completed_at", completedAt)
        row.set("next_poll_at", nextPollAt)
        row.set("poll_attempts", pollAttempts)
        row.set("poll_failures", pollFailures)
        row.set("last_polled_at", lastPolledAt)
        row.set("version", version)
        row.set("listing_photo", listingPhoto)
        row.set("key_name", keyName)
        return row
    }

    init(columns row: some ColumnReader) throws {
        self.init(kind: try row("kind"), status: try row("status"), createdAt: try row("created_at"))
        listingPhoto = try row("listing_photo")
        keyName = try row("key_name")
        id = try row("id")
        generationID = try row("generation_id")
        projectID = try row("project_id")
        parentGenerationID = try row("parent_generation_id")
        statusReason = try row("status_reason")
        imageURL = try row("image_url")
        maskURL = try row("mask_url")
        auto = try row("auto")
        images = try row.json("images").flatMap(ResultURLs.decode)
        variations = try row("variations")
        callbackTokenHash = try row("callback_token_hash")
        idempotencyKey = try row("idempotency_key")
        remainingPhotos = try row("remaining_photos")
        refunded = try row("refunded")
        resolvedBy = try row("resolved_by")
        submittedAt = try row("submitted_at")
        updatedAt = try row("updated_at")
        completedAt = try row("completed_at")
        nextPollAt = try row("next_poll_at")
        pollAttempts = try row("poll_attempts")
        pollFailures = try row("poll_failures")
        lastPolledAt = try row("last_polled_at")
        version = try row("version")
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

extension EventRecord: StoredRecord {
    static let blank = EventRecord(generation: 0, source: .callback, receivedAt: .distantPast, httpStatus: nil, rawBody: nil, outcome: .applied)

    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("generation", generation)
        row.set("source", source)
        row.set("received_at", receivedAt)
        row.set("http_status", httpStatus)
        row.set("raw_body", rawBody)
        row.set("outcome", outcome)
        row.set("reason", reason)
        row.set("status_before", statusBefore)
        row.set("status_reported", statusReported)
        return row
    }

    init(columns row: some ColumnReader) throws {
        self.init(
            id: try row("id"), generation: try row("generation"), source: try row("source"), receivedAt: try row("received_at"),
            httpStatus: try row("http_status"), rawBody: try row("raw_body"), outcome: try row("outcome"), reason: try row("reason"),
            statusBefore: try row("status_before"), statusReported: try row("status_reported"))
    }
}

extension MessageRecord: StoredRecord {
    static let blank = MessageRecord(type: .generationUpdated, generation: nil, version: nil, createdAt: .distantPast, body: "")

    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("type", type)
        row.set("generation", generation)
        row.set("version", version)
        row.set("created_at", createdAt)
        row.set("body", body)
        return row
    }

    init(columns row: some ColumnReader) throws {
        self.init(type: try row("type"), generation: try row("generation"), version: try row("version"), createdAt: try row("created_at"),
                  body: try row("body"))
        id = try row("id")
    }
}

extension ImageRecord: StoredRecord {
    static let blank = ImageRecord(generation: 0, position: 0, sourceURL: "", at: .distantPast)

    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("generation", generation)
        row.set("position", position)
        row.set("source_url", sourceURL)
        row.set("state", state)
        row.set("sha256", sha256)
        row.set("bytes", bytes)
        row.set("content_type", contentType)
        row.set("width", width)
        row.set("height", height)
        row.set("archived_at", archivedAt)
        row.set("attempts", attempts)
        row.set("next_attempt_at", nextAttemptAt)
        row.set("last_http_status", lastHTTPStatus)
        row.set("last_error", lastError)
        row.set("created_at", createdAt)
        row.set("updated_at", updatedAt)
        return row
    }

    init(columns row: some ColumnReader) throws {
        self.init(generation: try row("generation"), position: try row("position"), sourceURL: try row("source_url"), at: try row("created_at"))
        id = try row("id")
        state = try row("state")
        sha256 = try row("sha256")
        bytes = try row("bytes")
        contentType = try row("content_type")
        width = try row("width")
        height = try row("height")
        archivedAt = try row("archived_at")
        attempts = try row("attempts")
        nextAttemptAt = try row("next_attempt_at")
        lastHTTPStatus = try row("last_http_status")
        lastError = try row("last_error")
        updatedAt = try row("updated_at")
    }
}

extension ProjectRecord: StoredRecord {
    static let blank = ProjectRecord(id: UUID(), createdAt: .distantPast, updatedAt: .distantPast, variationsCount: 0)

    /// Every column, `id` included: the service names a project.
    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("id", id)
        row.set("created_at", createdAt)
        row.set("updated_at", updatedAt)
        row.set("variations_count", variationsCount)
        return row
    }

    init(columns row: some ColumnReader) throws {
        self.init(id: try row("id"), createdAt: try row("created_at"), updatedAt: try row("updated_at"), variationsCount: try row("variations_count"))
    }
}

extension QuotaRecord: StoredRecord {
    static let blank = QuotaRecord(recordedAt: .distantPast, remainingPhotos: 0, generation: nil)

    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("recorded_at", recordedAt)
        row.set("remaining_photos", remainingPhotos)
        row.set("generation", generation)
        return row
    }

    init(columns row: some ColumnReader) throws {
        self.init(id: try row("id"), recordedAt: try row("recorded_at"), remainingPhotos: try row("remaining_photos"), generation: try row("generation"))
    }
}

extension IdempotencyRecord: StoredRecord {
    static let blank = IdempotencyRecord(key: "", requestFingerprint: "", generation: 0, createdAt: .distantPast)

    /// Every column, `key` included: the client names it.
    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("key", key)
        row.set("request_fingerprint", requestFingerprint)
        row.set("generation", generation)
        row.set("created_at", createdAt)
        return row
    }

    init(columns row: some ColumnReader) throws {
        self.init(key: try row("key"), requestFingerprint: try row("request_fingerprint"), generation: try row("generation"),
                  createdAt: try row("created_at"))
    }
}
