import DeclutterAPI
import Foundation
import PostgresNIO

// MARK: - Reads: generations, events, projects, the outbox (AppDatabase+Reads, +Queries, +Messages on SQLite)

extension PostgresStore {
    static func generationQuery(_ locator: GenerationLocator, suffix: String = "") -> PostgresQuery {
        let columns = GenerationRecord.postgresColumns
        return switch locator {
        case .row(let id): "SELECT \(unescaped: columns) FROM generations WHERE id = \(id)\(unescaped: suffix)"
        case .callbackTokenHash(let hash): "SELECT \(unescaped: columns) FROM generations WHERE callback_token_hash = \(hash)\(unescaped: suffix)"
        case .generationID(let id): "SELECT \(unescaped: columns) FROM generations WHERE generation_id = \(id)\(unescaped: suffix)"
        }
    }

    func all<T: Sendable>(_ query: PostgresQuery, _ make: @escaping @Sendable (PostgresRow) throws -> T) async throws -> [T] {
        try await read { connection in try await connection.all(query, logger: logger, make) }
    }

    func first<T: Sendable>(_ query: PostgresQuery, _ make: @escaping @Sendable (PostgresRow) throws -> T) async throws -> T? {
        try await all(query, make).first
    }

    func value<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: T.Type = T.self) async throws -> T? {
        try await read { connection in try await connection.value(query, as: type, logger: logger) }
    }

    public func generation(_ locator: GenerationLocator) async throws -> GenerationRecord? {
        try await first(Self.generationQuery(locator), GenerationRecord.init(postgres:))
    }

    public func events(forRow row: Int64) async throws -> [EventRecord] {
        try await all("SELECT \(unescaped: EventRecord.postgresColumns) FROM events WHERE generation = \(row) ORDER BY id",
                      EventRecord.init(postgres:))
    }

    public func eventPage(forRow row: Int64, after: Int64?, limit: Int, bodyBytes: Int) async throws -> (events: [EventRecord], more: Bool) {
        try await read { connection in
            let size = "coalesce(octet_length(raw_body), octet_length(raw_body_binary), 0)"
            let events = try await connection.all("""
                SELECT \(unescaped: EventRecord.postgresColumns) FROM (
                    SELECT events.*, sum(\(unescaped: size)) OVER (ORDER BY id) AS through
                    FROM events WHERE generation = \(row) AND id > \(after ?? 0) ORDER BY id LIMIT \(limit)
                ) AS page WHERE through - \(unescaped: size) < \(bodyBytes) ORDER BY id
                """, logger: logger, EventRecord.init(postgres:))
            guard let last = events.last?.id else { return ([], false) }
            let more = try await connection.value("SELECT EXISTS (SELECT 1 FROM events WHERE generation = \(row) AND id > \(last))",
                                                  as: Bool.self, logger: logger) ?? false
            return (events, more)
        }
    }

    public func project(_ id: UUID) async throws -> ProjectRecord? {
        try await first("SELECT \(unescaped: ProjectRecord.postgresColumns) FROM projects WHERE id = \(id)", ProjectRecord.init(postgres:))
    }

    public func latestQuota() async throws -> QuotaRecord? {
        try await first("SELECT \(unescaped: QuotaRecord.postgresColumns) FROM quota_history ORDER BY id DESC LIMIT 1",
                        QuotaRecord.init(postgres:))
    }

    public func consecutiveNotFound(row: Int64) async throws -> Int {
        let statuses = try await all("""
            SELECT http_status FROM events WHERE generation = \(row) AND source = 'poll' ORDER BY id DESC LIMIT 20
            """) { try $0.decode(Int?.self) }
        return statuses.prefix { $0 == 400 || $0 == 404 }.count
    }

    public func generations(matching filter: GenerationFilter) async throws -> [GenerationRecord] {
        var query: PostgresQuery = "SELECT \(unescaped: GenerationRecord.postgresColumns) FROM generations WHERE true"
        if let status = filter.status { query.append(" AND status = ", status.rawValue) }
        if let projectID = filter.projectID { query.append(" AND project_id = ", projectID) }
        if let since = filter.since { query.append(" AND created_at >= ", since) }
        if let kind = filter.kind { query.append(" AND kind = ", kind.rawValue) }
        if let before = filter.before { query.append(" AND id < ", before) }
        if let key = filter.key { query.append(" AND key_name = ", key) }
        query.append(" ORDER BY id DESC LIMIT ", filter.limit)
        return try await all(query, GenerationRecord.init(postgres:))
    }

    public func projectWithGenerations(_ id: UUID) async throws -> (ProjectRecord, [GenerationRecord])? {
        guard let project = try await project(id) else { return nil }
        let generations = try await all("""
            SELECT \(unescaped: GenerationRecord.postgresColumns) FROM generations WHERE project_id = \(id) ORDER BY id
            """, GenerationRecord.init(postgres:))
        return (project, generations)
    }

    /// Counted at each read (no tallies: one row every write updated would make all writers take turns).
    public func stats() async throws -> StoreStats {
        try await read { connection in
            var counts: [GenerationState: Int] = [:]
            var resolved: [Resolution: Int] = [:]
            for (status, resolution, count) in try await connection.all("""
                SELECT status, resolved_by, count(*) FROM generations GROUP BY status, resolved_by
                """, logger: logger, { try $0.decode((GenerationState, Resolution?, Int).self) }) {
                counts[status, default: 0] += count
                if let resolution { resolved[resolution, default: 0] += count }
            }
            let quota = try await connection.first("""
                SELECT \(unescaped: QuotaRecord.postgresColumns) FROM quota_history ORDER BY id DESC LIMIT 1
                """, logger: logger, QuotaRecord.init(postgres:))
            let refunds = try await connection.value("""
                SELECT count(*) FROM generations WHERE refunded AND completed_at >= \(quota?.recordedAt ?? .distantPast)
                """, as: Int.self, logger: logger) ?? 0
            let oldest = try await connection.value("""
                SELECT min(created_at) FROM generations WHERE status IN (\(unescaped: GenerationState.pendingSQL))
                """, as: Date?.self, logger: logger) ?? nil
            let unknown = try await connection.value("""
                SELECT count(*) FROM generations WHERE status = 'SUBMITTING' AND status_reason IS NOT NULL
                """, as: Int.self, logger: logger) ?? 0
            let events = try await connection.value("SELECT coalesce(max(id), 0) FROM events", as: Int.self, logger: logger) ?? 0
            return StoreStats(countsByState: counts, latestQuota: quota, refundsSinceQuota: refunds,
                              resolvedByCallback: resolved[.callback] ?? 0, resolvedByPoll: resolved[.poll] ?? 0,
                              oldestPendingCreatedAt: oldest, unknownOutcomes: unknown, events: events)
        }
    }

    public func hourlyOutcomes(since: Date) async throws -> [String: HourlyOutcomes] {
        var hours: [String: HourlyOutcomes] = [:]
        let rows = try await all("""
            SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour, status, count(*)
            FROM generations WHERE created_at >= \(since) GROUP BY hour, status
            """) { try $0.decode((String, GenerationState, Int).self) }
        for (hour, state, count) in rows {
            hours[hour, default: HourlyOutcomes(hour: hour)].add(count, in: state)
        }
        return hours
    }

    /// Stops before a message still being committed (`PostgresMessageIDs`): what it returns, in id order, has no
    /// later-committed message missing below it.
    public func messages(matching filter: MessageFilter) async throws -> [MessageRecord] {
        try await read { [logger] connection in
            var query: PostgresQuery = "SELECT \(unescaped: MessageRecord.postgresColumns) FROM messages WHERE id > \(filter.after)"
            if let horizon = try await PostgresMessageIDs.horizon(after: filter.after, on: connection, logger: logger) {
                query.append(" AND id < ", horizon)
            }
            if let generation = filter.generation { query.append(" AND generation = ", generation) }
            query.append(" ORDER BY id LIMIT ", filter.limit)
            return try await connection.all(query, logger: logger, MessageRecord.init(postgres:))
        }
    }

    public func message(_ id: Int64) async throws -> MessageRecord? {
        try await first("SELECT \(unescaped: MessageRecord.postgresColumns) FROM messages WHERE id = \(id)", MessageRecord.init(postgres:))
    }

    /// Where a new stream starts: below any message still being committed (`PostgresMessageIDs`), so that a stream
    /// started now skips none of them.
    public func latestMessageSequence() async throws -> Int64 {
        try await read { [logger] connection in
            // The highest id handed out (pruned or not), or the highest committed: a sequence number is never reused.
            let latest = try await connection.value("""
                SELECT greatest((SELECT coalesce(max(id), 0) FROM messages), (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM messages_id_seq))
                """, as: Int64.self, logger: logger) ?? 0
            let horizon = try await PostgresMessageIDs.horizon(after: max(0, latest - PostgresMessageIDs.leadingWindow), on: connection, logger: logger)
            return min(latest, (horizon ?? .max) - 1)
        }
    }
}

extension PostgresQuery {
    /// Appends `sql` and then `value` as the next parameter.
    mutating func append(_ sql: String, _ value: some PostgresDynamicTypeEncodable) {
        self.sql += sql + "$\(binds.count + 1)"
        binds.append(value)
    }
}

// MARK: - Reads for the dashboard: deliveries

extension PostgresStore {
    public func failedDeliveryCount() async throws -> Int {
        try await value("SELECT count(*) FROM deliveries WHERE status = 'failed'", as: Int.self) ?? 0
    }

    public func recentAttemptCounts(window: Int) async throws -> [Int64: EndpointAttemptCounts] {
        let rows = try await all("""
            SELECT endpoint, count(*),
                   count(*) FILTER (WHERE error IS NOT NULL OR http_status IS NULL OR http_status NOT BETWEEN 200 AND 299)
            FROM (SELECT endpoint, error, http_status FROM delivery_attempts ORDER BY id DESC LIMIT \(window)) AS recent
            GROUP BY endpoint
            """) { try $0.decode((Int64, Int, Int).self) }
        var counts: [Int64: EndpointAttemptCounts] = [:]
        for (endpoint, attempts, failures) in rows {
            var entry = EndpointAttemptCounts()
            entry.attempts = attempts
            entry.failures = failures
            counts[endpoint] = entry
        }
        return counts
    }
}
