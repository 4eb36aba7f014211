import Foundation

// The columns of endpoints, deliveries and their attempts, and of uploads: declared once for both engines
// (`Columns.swift`). Secrets are values like any other here; each engine binds them as parameters, never as SQL text.

extension DeliveryStatus: TextColumn {}
extension UploadRole: TextColumn {}

extension EndpointRecord: StoredRecord {
    static let blank = EndpointRecord(url: "", description: nil, types: nil, secret: "", createdAt: .distantPast)

    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("url", url)
        row.set("description", description)
        row.setJSON("types", types.map(MessageTypes.encode))
        row.set("secret", secret)
        row.set("previous_secret", previousSecret)
        row.set("previous_secret_expires_at", previousSecretExpiresAt)
        row.set("enabled", enabled)
        row.set("disabled_reason", disabledReason)
        row.set("failing_since", failingSince)
        row.set("created_at", createdAt)
        row.set("updated_at", updatedAt)
        return row
    }

    init(columns row: some ColumnReader) throws {
        self.init(url: try row("url"), description: try row("description"), types: try row.json("types").map(MessageTypes.decode),
                  secret: try row("secret"), createdAt: try row("created_at"))
        id = try row("id")
        previousSecret = try row("previous_secret")
        previousSecretExpiresAt = try row("previous_secret_expires_at")
        enabled = try row("enabled")
        disabledReason = try row("disabled_reason")
        failingSince = try row("failing_since")
        updatedAt = try row("updated_at")
    }
}

/// An endpoint's `types` filter as its JSON column holds it: an array of message types. A type this binary does not
/// know is a thrown error.
enum MessageTypes {
    /// The raw values are fixed ASCII names (`generation.succeeded`): nothing in them needs escaping.
    static func encode(_ types: [MessageType]) -> String {
        "[" + types.map { #""\#($0.rawValue)""# }.joined(separator: ",") + "]"
    }

    static func decode(_ text: String) throws -> [MessageType] {
        try JSONDecoder().decode([MessageType].self, from: Data(text.utf8))
    }
}

extension DeliveryRecord: StoredRecord {
    static let blank = DeliveryRecord(message: 0, endpoint: 0, status: .pending, attempts: 0, round: 1, roundAttempts: 0,
                                      createdAt: .distantPast, updatedAt: .distantPast)

    /// Every column but `id` and the leases (the PostgreSQL store's own).
    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("message", message)
        row.set("endpoint", endpoint)
        row.set("status", status)
        row.set("attempts", attempts)
        row.set("round", round)
        row.set("round_attempts", roundAttempts)
        row.set("next_attempt_at", nextAttemptAt)
        row.set("last_attempt_at", lastAttemptAt)
        row.set("last_http_status", lastHTTPStatus)
        row.set("last_error", lastError)
        row.set("created_at", createdAt)
        row.set("updated_at", updatedAt)
        return row
    }

    init(columns row: some ColumnReader) throws {
        self.init(
            id: try row("id"), message: try row("message"), endpoint: try row("endpoint"), status: try row("status"),
            attempts: try row("attempts"), round: try row("round"), roundAttempts: try row("round_attempts"),
            nextAttemptAt: try row("next_attempt_at"), lastAttemptAt: try row("last_attempt_at"), lastHTTPStatus: try row("last_http_status"),
            lastError: try row("last_error"), createdAt: try row("created_at"), updatedAt: try row("updated_at"))
    }
}

extension DeliveryAttemptRecord: StoredRecord {
    static let blank = DeliveryAttemptRecord(delivery: 0, message: 0, endpoint: 0, attempt: 0, attemptedAt: .distantPast)

    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("delivery", delivery)
        row.set("message", message)
        row.set("endpoint", endpoint)
        row.set("attempt", attempt)
        row.set("attempted_at", attemptedAt)
        row.set("http_status", httpStatus)
        row.set("latency_ms", latencyMilliseconds)
        row.set("response", response)
        row.set("error", error)
        return row
    }

    init(columns row: some ColumnReader) throws {
        self.init(
            id: try row("id"), delivery: try row("delivery"), message: try row("message"), endpoint: try row("endpoint"),
            attempt: try row("attempt"), attemptedAt: try row("attempted_at"), httpStatus: try row("http_status"),
            latencyMilliseconds: try row("latency_ms"), response: try row("response"), error: try row("error"))
    }
}

extension UploadRecord: StoredRecord {
    static let blank = UploadRecord(generation: 0, role: .image, tokenHash: "",
                                    file: ArchivedFileFacts(sha256: "", bytes: 0, contentType: "", width: nil, height: nil), createdAt: .distantPast)

    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("generation", generation)
        row.set("role", role)
        row.set("token_hash", tokenHash)
        row.set("sha256", sha256)
        row.set("bytes", bytes)
        row.set("content_type", contentType)
        row.set("width", width)
        row.set("height", height)
        row.set("created_at", createdAt)
        row.set("pruned_at", prunedAt)
        return row
    }

    init(columns row: some ColumnReader) throws {
        let file = ArchivedFileFacts(sha256: try row("sha256"), bytes: try row("bytes"), contentType: try row("content_type"),
                                     width: try row("width"), height: try row("height"))
        self.init(generation: try row("generation"), role: try row("role"), tokenHash: try row("token_hash"), file: file,
                  createdAt: try row("created_at"))
        id = try row("id")
        prunedAt = try row("pruned_at")
    }
}
