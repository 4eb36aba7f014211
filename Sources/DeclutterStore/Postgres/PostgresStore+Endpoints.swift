import Foundation
import PostgresNIO

// MARK: - Writes: endpoints (AppDatabase+Endpoints on SQLite)

extension PostgresStore {
    /// Instances creating endpoints at once take turns (an advisory lock), so the count each reads includes what
    /// the others committed: `limit` holds across instances.
    public func createEndpoint(_ endpoint: EndpointRecord, limit: Int) async throws -> EndpointRecord? {
        try await transaction { tx in
            tx.outbox.note()
            try await tx.lock("endpoints", "count")
            let count = try await tx.value("SELECT count(*) FROM endpoints", as: Int.self) ?? 0
            guard count < limit else { return nil }
            var endpoint = endpoint
            endpoint.id = try await tx.value(endpoint.postgresValues.insert(into: "endpoints", then: "RETURNING id"), as: Int64.self)
            return endpoint
        }
    }

    /// As on SQLite: disabled first, then its deliveries (their attempts with them, by cascade) `batch` per
    /// transaction, then the endpoint.
    public func deleteEndpoint(_ id: Int64, batch: Int) async throws -> Bool {
        let found = try await transaction { tx in
            tx.outbox.note()
            return try await tx.value("UPDATE endpoints SET enabled = false WHERE id = \(id) RETURNING id", as: Int64.self) != nil
        }
        guard found else { return false }
        while try await transaction({ tx in
            try await tx.value("""
                WITH deleted AS (
                    DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE endpoint = \(id) LIMIT \(batch)) RETURNING 1
                )
                SELECT count(*) FROM deleted
                """, as: Int.self) ?? 0
        }) == batch {}
        return try await transaction { tx in
            tx.outbox.note()
            return try await tx.value("DELETE FROM endpoints WHERE id = \(id) RETURNING id", as: Int64.self) != nil
        }
    }

    /// Reads the endpoint locked (instances changing one endpoint at once take turns, each seeing what the other
    /// wrote: two rotations keep both secrets in order), applies `change`, writes it.
    public func changeEndpoint(_ id: Int64, at date: Date, _ change: @escaping @Sendable (inout EndpointRecord) -> Void) async throws -> EndpointRecord? {
        try await transaction { tx in
            tx.outbox.note()
            guard var endpoint = try await tx.endpoint(id, lock: .forNoKeyUpdate) else { return nil }
            change(&endpoint)
            endpoint.updatedAt = date
            try await tx.update(endpoint, id: id)
            return endpoint
        }
    }
}

// MARK: - Reads: endpoints

extension PostgresStore {
    public func endpoints() async throws -> [EndpointRecord] {
        try await all("SELECT \(unescaped: EndpointRecord.postgresColumns) FROM endpoints ORDER BY id", EndpointRecord.init(postgres:))
    }

    public func endpoint(_ id: Int64) async throws -> EndpointRecord? {
        try await first("SELECT \(unescaped: EndpointRecord.postgresColumns) FROM endpoints WHERE id = \(id)", EndpointRecord.init(postgres:))
    }
}

/// How a row read in a transaction is locked until the transaction ends.
enum PostgresRowLock: String {
    /// For a decision made on the row and written back: its writers take turns, each reading what the other
    /// committed. Weaker than `FOR UPDATE` in one way only: rows referring to it may still be inserted meanwhile
    /// (their foreign-key checks take `KEY SHARE`), so the outbox's fan-out never waits on an endpoint's update.
    case forNoKeyUpdate = "FOR NO KEY UPDATE"
    /// For a row about to be referred to: it stays (is not deleted) until the transaction ends.
    case forKeyShare = "FOR KEY SHARE"
}

extension PostgresTransaction {
    func endpoint(_ id: Int64, lock: PostgresRowLock? = nil) async throws -> EndpointRecord? {
        try await all("""
            SELECT \(unescaped: EndpointRecord.postgresColumns) FROM endpoints WHERE id = \(id) \(unescaped: lock?.rawValue ?? "")
            """, EndpointRecord.init(postgres:)).first
    }

    /// Writes every column of endpoint `id` (an endpoint read from its row).
    func update(_ endpoint: EndpointRecord, id: Int64) async throws {
        try await execute(endpoint.postgresValues.update("endpoints", id: id))
    }
}
