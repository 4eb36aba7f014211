import Foundation
import GRDB

// MARK: - Reads

extension AppDatabase {
    public func generation(_ locator: GenerationLocator) async throws -> GenerationRecord? {
        try await read { db in try GenerationRecord.find(locator, in: db) }
    }

    /// The audit trail of one generation, oldest first.
    public func events(forRow row: Int64) async throws -> [EventRecord] {
        try await read { db in
            try EventRecord.filter(EventRecord.Columns.generation == row).order(EventRecord.Columns.id).fetchAll(db)
        }
    }

    public func project(_ id: UUID) async throws -> ProjectRecord? {
        try await read { db in try ProjectRecord.fetchOne(db, key: StoreFormat.uuid(id)) }
    }

    /// The latest `remaining_photos` reading.
    public func latestQuota() async throws -> QuotaRecord? {
        try await read { db in try QuotaRecord.order(Column("id").desc).fetchOne(db) }
    }

    /// Pending generations whose poll is due at `now`, soonest first (the partial index `generations_due`).
    public func dueGenerations(at now: Date, limit: Int) async throws -> [GenerationRecord] {
        try await read { db in
            try GenerationRecord.fetchAll(db, sql: Self.dueGenerationsSQL, arguments: [StoreFormat.timestamp(now), limit])
        }
    }

    /// Arguments: the due time (a timestamp) and the limit. Kept apart so a test can check its query plan.
    static let dueGenerationsSQL = """
        SELECT * FROM generations
        WHERE next_poll_at IS NOT NULL AND next_poll_at <= ?
        ORDER BY next_poll_at LIMIT ?
        """

    /// The nearest `next_poll_at` of any generation, for the poller to sleep until.
    public func nextPollDate() async throws -> Date? {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT min(next_poll_at) FROM generations WHERE next_poll_at IS NOT NULL")
                .flatMap(StoreFormat.date(fromTimestamp:))
        }
    }
}
