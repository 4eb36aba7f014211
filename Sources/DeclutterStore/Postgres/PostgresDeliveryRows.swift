import Foundation
import PostgresNIO

// Endpoints, deliveries and their attempts as PostgreSQL's rows hold them, column by column by name (as
// `PostgresRows.swift` does for the generations). Secrets are bound as parameters, never written into SQL text:
// postgres-nio prints bound values as `****` in its errors.

extension EndpointRecord {
    /// The columns `init(postgres:)` reads, for `SELECT`s; `types` as text.
    static let postgresColumns = """
        id, url, description, types::text AS types, secret, previous_secret, previous_secret_expires_at, enabled, disabled_reason,
        failing_since, created_at, updated_at
        """

    init(postgres row: PostgresRow) throws {
        let column = PostgresColumns(row)
        self.init(url: try column("url"), description: try column("description"),
                  types: try column("types", as: String?.self).map(MessageTypes.decode), secret: try column("secret"),
                  createdAt: try column("created_at"))
        id = try column("id", as: Int64.self)
        previousSecret = try column("previous_secret")
        previousSecretExpiresAt = try column("previous_secret_expires_at")
        enabled = try column("enabled")
        disabledReason = try column("disabled_reason")
        failingSince = try column("failing_since")
        updatedAt = try column("updated_at")
    }

    /// Every column but `id` (an identity PostgreSQL gives), for `INSERT` and `UPDATE`.
    var postgresValues: PostgresRowValues {
        var values = PostgresRowValues()
        values.add("url", url)
        values.add("description", description)
        values.addJSON("types", types.map(MessageTypes.encode))
        values.add("secret", secret)
        values.add("previous_secret", previousSecret)
        values.add("previous_secret_expires_at", previousSecretExpiresAt)
        values.add("enabled", enabled)
        values.add("disabled_reason", disabledReason)
        values.add("failing_since", failingSince)
        values.add("created_at", createdAt)
        values.add("updated_at", updatedAt)
        return values
    }
}

/// An endpoint's `types` filter as its `jsonb` column holds it: a JSON array of message types. A type this binary
/// does not know is a thrown error, as with SQLite's Codable column.
enum MessageTypes {
    /// The raw values are fixed ASCII names (`generation.succeeded`): nothing in them needs escaping.
    static func encode(_ types: [MessageType]) -> String {
        "[" + types.map { #""\#($0.rawValue)""# }.joined(separator: ",") + "]"
    }

    static func decode(_ text: String) throws -> [MessageType] {
        try JSONDecoder().decode([MessageType].self, from: Data(text.utf8))
    }
}

extension DeliveryRecord {
    /// The columns `init(postgres:)` reads, for `SELECT`s and `RETURNING`: the leases are the store's own.
    static let postgresColumns = """
        id, message, endpoint, status, attempts, round, round_attempts, next_attempt_at, last_attempt_at, last_http_status,
        last_error, created_at, updated_at
        """

    init(postgres row: PostgresRow) throws {
        let column = PostgresColumns(row)
        self.init(
            id: try column("id", as: Int64.self), message: try column("message"), endpoint: try column("endpoint"),
            status: try column("status"), attempts: try column("attempts", as: Int.self), round: try column("round", as: Int.self),
            roundAttempts: try column("round_attempts", as: Int.self), nextAttemptAt: try column("next_attempt_at"),
            lastAttemptAt: try column("last_attempt_at"), lastHTTPStatus: try column("last_http_status", as: Int?.self),
            lastError: try column("last_error"), createdAt: try column("created_at"), updatedAt: try column("updated_at"))
    }

    /// Every column but `id` and the leases, for `INSERT` and `UPDATE`.
    var postgresValues: PostgresRowValues {
        var values = PostgresRowValues()
        values.add("message", message)
        values.add("endpoint", endpoint)
        values.add("status", status.rawValue)
        values.add("attempts", attempts)
        values.add("round", round)
        values.add("round_attempts", roundAttempts)
        values.add("next_attempt_at", nextAttemptAt)
        values.add("last_attempt_at", lastAttemptAt)
        values.add("last_http_status", lastHTTPStatus)
        values.add("last_error", lastError)
        values.add("created_at", createdAt)
        values.add("updated_at", updatedAt)
        return values
    }
}

extension DeliveryAttemptRecord {
    static let postgresColumns = "id, delivery, message, endpoint, attempt, attempted_at, http_status, latency_ms, response, error"

    init(postgres row: PostgresRow) throws {
        let column = PostgresColumns(row)
        self.init(
            id: try column("id", as: Int64.self), delivery: try column("delivery"), message: try column("message"),
            endpoint: try column("endpoint"), attempt: try column("attempt", as: Int.self), attemptedAt: try column("attempted_at"),
            httpStatus: try column("http_status", as: Int?.self), latencyMilliseconds: try column("latency_ms", as: Int?.self),
            response: try column("response"), error: try column("error"))
    }

    /// Every column but `id`, for `INSERT`.
    var postgresValues: PostgresRowValues {
        var values = PostgresRowValues()
        values.add("delivery", delivery)
        values.add("message", message)
        values.add("endpoint", endpoint)
        values.add("attempt", attempt)
        values.add("attempted_at", attemptedAt)
        values.add("http_status", httpStatus)
        values.add("latency_ms", latencyMilliseconds)
        values.add("response", response)
        values.add("error", error)
        return values
    }
}
