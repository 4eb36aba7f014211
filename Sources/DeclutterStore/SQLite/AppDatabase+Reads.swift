import Foundation
import GRDB

// MARK: - Reads

extension AppDatabase {
    public func generation(_ locator: GenerationLocator) async throws -> GenerationRecord? {
        try await read { db in try GenerationRecord.find(locator, in: db) }
    }

    /// The audit trail of one generation, oldest first.
    /// A generation's events in order.
    public func events(forRow row: Int64) async throws -> [EventRecord] {
        try await read { db in
            try EventRecord.filter(EventRecord.Columns.generation == row).order(EventRecord.Columns.id).fetchAll(db)
        }
    }

    /// One page of a generation's events after the id `after`: at most `limit`, and past the first, no more than
    /// `bodyBytes` of raw bodies, measured in SQL so that no body beyond the page is loaded; and whether more follow.
    public func eventPage(forRow row: Int64, after: Int64?, limit: Int, bodyBytes: Int) async throws -> (events: [EventRecord], more: Bool) {
        try await read { db in
            let events = try EventRecord.fetchAll(db, sql: """
                SELECT * FROM (
                    SELECT events.*, sum(coalesce(length(CAST(raw_body AS BLOB)), 0)) OVER (ORDER BY id) AS through
                    FROM events WHERE generation = ? AND id > ? ORDER BY id LIMIT ?
                ) WHERE through - coalesce(length(CAST(raw_body AS BLOB)), 0) < ? ORDER BY id
                """, arguments: [row, after ?? 0, limit, bodyBytes])
            guard let last = events.last?.id else { return ([], false) }
            let more = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM events WHERE generation = ? AND id > ?)",
                                         arguments: [row, last]) ?? false
            return (events, more)
        }
    }

    public func project(_ id: UUID) async throws -> ProjectRecord? {
        try await read { db in try ProjectRecord.fetchOne(db, key: StoreFormat.uuid(id)) }
    }

    /// The latest `remaining_photos` reading.
    public func latestQuota() async throws -> QuotaRecord? {
        try await read { db in try QuotaRecord.order(Column("id").desc).fetchOne(db) }
    }

    /// Pending generations whose poll is due at `now`, soonest first (the partial index `generations_due`): read, not
    /// leased; the one instance's poller leaves out its own polls in flight.
    public func claimDueGenerations(at now: Date, excluding busy: Set<Int64>, limit: Int) async throws -> [GenerationRecord] {
        try await read { db in
            try GenerationRecord.fetchAll(db, sql: Self.claimDueGenerationsSQL, arguments: [StoreFormat.timestamp(now), limit + busy.count])
                .filter { !busy.contains($0.id ?? 0) }.prefix(limit).map { $0 }
        }
    }

    /// Arguments: the due time (a timestamp) and the limit. Kept apart so a test can check its query plan.
    static let claimDueGenerationsSQL = """
        SELECT * FROM generations
        WHERE next_poll_at IS NOT NULL AND next_poll_at <= ?
        ORDER BY next_poll_at LIMIT ?
        """

    /// The nearest `next_poll_at`, leaving out `busy` generations (polls in flight), for the poller to sleep
    /// until. Walks the `generations_due` index in order, so it reads at most `busy.count + 1` rows.
    public func nextPollDate(excluding busy: Set<Int64>) async throws -> Date? {
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
