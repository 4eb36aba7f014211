import Foundation
import GRDB

// MARK: - Reads

extension AppDatabase {
    public func generation(_ locator: GenerationLocator) async throws -> GenerationRecord? {
        try await read { db in try GenerationRecord.find(locator, in: db) }
    }

    /// The audit trail of one generation, oldest first.
    /// A generation's events in order; with `after` and `limit`, one page of them (`after`: the last id seen).
    public func events(forRow row: Int64, after: Int64? = nil, limit: Int = .max) async throws -> [EventRecord] {
        try await read { db in
            var request = EventRecord.filter(EventRecord.Columns.generation == row)
            if let after { request = request.filter(EventRecord.Columns.id > after) }
            return try request.order(EventRecord.Columns.id).limit(limit).fetchAll(db)
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

    /// The nearest `next_poll_at`, leaving out `busy` generations (polls in flight), for the poller to sleep
    /// until. Walks the `generations_due` index in order, so it reads at most `busy.count + 1` rows.
    public func nextPollDate(excluding busy: Set<Int64> = []) async throws -> Date? {
        try await read { db in
            let placeholders = busy.isEmpty ? "" : " AND id NOT IN (\(Array(repeating: "?", count: busy.count).joined(separator: ", ")))"
            return try String.fetchOne(db, sql: """
                SELECT next_poll_at FROM generations WHERE next_poll_at IS NOT NULL\(placeholders)
                ORDER BY next_poll_at LIMIT 1
                """, arguments: StatementArguments(Array(busy))).flatMap(StoreFormat.date(fromTimestamp:))
        }
    }

    /// How many of the latest polls of a generation, running, answered 400 or 404 (any other result ends the run).
    public func consecutiveNotFound(row: Int64) async throws -> Int {
        try await read { db in
            let statuses = try Int?.fetchAll(db, sql: """
                SELECT http_status FROM events WHERE generation = ? AND source = 'poll' ORDER BY id DESC LIMIT 20
                """, arguments: [row])
            return statuses.prefix { $0 == 400 || $0 == 404 }.count
        }
    }
}
