import Foundation
import PostgresNIO

// MARK: - Writes: pruning, a small batch at a time (AppDatabase+Retention on SQLite)

extension PostgresStore {
    public func pruneEvents(receivedBefore cutoff: Date, batch: Int) async throws -> Int {
        try await pruneHead(of: "events", timeColumn: "received_at", before: cutoff, batch: batch)
    }

    /// Their deliveries and attempts go with them (`ON DELETE CASCADE`).
    public func pruneMessages(createdBefore cutoff: Date, batch: Int) async throws -> Int {
        try await pruneHead(of: "messages", timeColumn: "created_at", before: cutoff, batch: batch)
    }

    public func pruneAttempts(madeBefore cutoff: Date, batch: Int) async throws -> Int {
        try await pruneHead(of: "delivery_attempts", timeColumn: "attempted_at", before: cutoff, batch: batch)
    }

    public func pruneDeliveries(createdBefore cutoff: Date, batch: Int) async throws -> Int {
        try await pruneHead(of: "deliveries", timeColumn: "created_at", before: cutoff, batch: batch)
    }

    /// As on SQLite: looks at the first `batch` rows by id only (ids grow with time, the primary key's index
    /// walked in order), so a round costs the same at any table size, and deletes those older than `cutoff` in one
    /// short transaction. `table` and `timeColumn` are this file's constants.
    private func pruneHead(of table: String, timeColumn: String, before cutoff: Date, batch: Int) async throws -> Int {
        try await transaction { tx in
            try await tx.value("""
                WITH pruned AS (
                    DELETE FROM \(unescaped: table) WHERE id IN (
                        SELECT id FROM (SELECT id, \(unescaped: timeColumn) AS at FROM \(unescaped: table) ORDER BY id LIMIT \(batch)) AS head
                        WHERE at < \(cutoff))
                    RETURNING 1
                )
                SELECT count(*) FROM pruned
                """, as: Int.self) ?? 0
        }
    }
}
