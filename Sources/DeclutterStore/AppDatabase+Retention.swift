import Foundation
import GRDB

/// What the store keeps of its history: events and messages older than these are pruned.
public struct HistoryRetention: Sendable, Equatable {
    public var events: Duration
    public var messages: Duration

    public init(events: Duration = .seconds(90 * 86_400), messages: Duration = .seconds(30 * 86_400)) {
        self.events = events
        self.messages = messages
    }
}

// MARK: - Writes: pruning, a small batch at a time

extension AppDatabase {
    /// Deletes up to `batch` of the oldest events received before `cutoff`, in one short group-commit write.
    /// Returns how many went: fewer than `batch` means none older is left at the head of the table.
    public func pruneEvents(receivedBefore cutoff: Date, batch: Int) async throws -> Int {
        try await pruneHead(of: "events", timeColumn: "received_at", before: cutoff, batch: batch)
    }

    /// Deletes up to `batch` of the oldest messages written before `cutoff`, with their deliveries and attempts,
    /// whatever their state: past the retention a message is history, delivered or not.
    public func pruneMessages(createdBefore cutoff: Date, batch: Int) async throws -> Int {
        try await pruneHead(of: "messages", timeColumn: "created_at", before: cutoff, batch: batch)
    }

    /// Deletes up to `batch` of the oldest delivery attempts made before `cutoff`.
    public func pruneAttempts(madeBefore cutoff: Date, batch: Int) async throws -> Int {
        try await pruneHead(of: "delivery_attempts", timeColumn: "attempted_at", before: cutoff, batch: batch)
    }

    /// Deletes up to `batch` of the oldest deliveries queued before `cutoff` (their attempts with them).
    public func pruneDeliveries(createdBefore cutoff: Date, batch: Int) async throws -> Int {
        try await pruneHead(of: "deliveries", timeColumn: "created_at", before: cutoff, batch: batch)
    }

    /// Looks at the first `batch` rows by id only (ids grow with time), so a round costs the same whether the
    /// table holds a thousand rows or a hundred million, and holds the write lock for one small delete.
    private func pruneHead(of table: String, timeColumn: String, before cutoff: Date, batch: Int) async throws -> Int {
        try await write { db in
            try db.execute(sql: """
                DELETE FROM \(table) WHERE id IN (
                    SELECT id FROM (SELECT id, \(timeColumn) AS at FROM \(table) ORDER BY id LIMIT ?) WHERE at < ?)
                """, arguments: [batch, StoreFormat.timestamp(cutoff)])
            return db.changesCount
        }
    }
}
