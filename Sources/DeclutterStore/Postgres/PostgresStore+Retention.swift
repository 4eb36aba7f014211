import Foundation
import PostgresNIO

// MARK: - Writes: pruning, a small batch at a time (AppDatabase+Retention on SQLite)

extension PostgresStore {
    /// One short transaction; the primary key's index walked in order.
    public func pruneHead(of table: HistoryTable, before cutoff: Date, batch: Int) async throws -> Int {
        try await transaction { tx in
            try await tx.value("""
                WITH pruned AS (
                    DELETE FROM \(unescaped: table.rawValue) WHERE id IN (
                        SELECT id FROM (SELECT id, \(unescaped: table.timeColumn) AS at FROM \(unescaped: table.rawValue) ORDER BY id LIMIT \(batch)) AS head
                        WHERE at < \(cutoff))
                    RETURNING 1
                )
                SELECT count(*) FROM pruned
                """, as: Int.self) ?? 0
        }
    }
}
