import Foundation
import Logging
import PostgresNIO

// MARK: - Writes: attempts and replays (AppDatabase+Deliveries on SQLite)

extension PostgresStore {
    /// The decisions are `DeliveryRecord.take` and `EndpointRecord.take`'s. The delivery and then its endpoint are
    /// read locked: an attempt recorded by another instance at once, or an operator's change, waits its turn, so the
    /// failure record and the disabling see every attempt. Ends this instance's lease on the delivery.
    public func recordAttempt(_ report: AttemptReport) async throws -> EndpointChange {
        try await transaction { [instance] tx in
            tx.outbox.note()
            guard var delivery = try await tx.delivery(report.deliveryID, lock: .forNoKeyUpdate) else { return .none }
            let attempt = delivery.take(report)
            try await tx.update(delivery, id: report.deliveryID)
            try await tx.releaseDeliveryLease(of: report.deliveryID, owner: instance)
            try await tx.execute(attempt.postgresValues.insert(into: "delivery_attempts", then: ""))
            guard var endpoint = try await tx.endpoint(delivery.endpoint, lock: .forNoKeyUpdate) else { return .none }
            guard let change = endpoint.take(report) else { return .none }
            try await tx.update(endpoint, id: delivery.endpoint)
            return change
        }
    }

    /// The message, and the endpoint given, are held (`KEY SHARE`) until the delivery that may be added for them
    /// is in: neither is deleted meanwhile.
    public func redeliver(message: Int64, endpoint: Int64?, at date: Date) async throws -> Int? {
        try await transaction { tx in
            tx.outbox.note()
            guard let record = try await tx.all("""
                SELECT \(unescaped: MessageRecord.postgresColumns) FROM messages WHERE id = \(message) FOR KEY SHARE
                """, MessageRecord.init(postgres:)).first else { return nil }
            if let endpoint, try await tx.endpoint(endpoint, lock: .forKeyShare)?.takes(record.type) == true {
                try await tx.execute("""
                    INSERT INTO deliveries (message, endpoint, status, next_attempt_at, created_at, updated_at)
                    VALUES (\(message), \(endpoint), 'pending', \(date), \(date), \(date)) ON CONFLICT (message, endpoint) DO NOTHING
                    """)
            }
            return try await tx.requeueDeliveries(at: date) { condition in
                condition.append(" AND message = ", message)
                if let endpoint { condition.append(" AND endpoint = ", endpoint) }
            }
        }
    }

    public func recover(endpoint: Int64, since: Date, at date: Date) async throws -> Int? {
        try await transaction { tx in
            tx.outbox.note()
            guard try await tx.value("SELECT EXISTS (SELECT 1 FROM endpoints WHERE id = \(endpoint))", as: Bool.self) == true else { return nil }
            return try await tx.requeueDeliveries(at: date) { condition in
                condition.append(" AND endpoint = ", endpoint)
                condition.append(" AND status = 'failed' AND message IN (SELECT id FROM messages WHERE created_at >= ", since)
                condition.sql += ")"
            }
        }
    }
}

extension PostgresTransaction {
    func delivery(_ id: Int64, lock: PostgresRowLock? = nil) async throws -> DeliveryRecord? {
        try await all("""
            SELECT \(unescaped: DeliveryRecord.postgresColumns) FROM deliveries WHERE id = \(id) \(unescaped: lock?.rawValue ?? "")
            """, DeliveryRecord.init(postgres:)).first
    }

    /// Writes every column of delivery `id` but its lease.
    func update(_ delivery: DeliveryRecord, id: Int64) async throws {
        try await execute(delivery.postgresValues.update("deliveries", id: id))
    }

    /// Ends `owner`'s lease on a delivery once its attempt is recorded. A lease that expired and was taken by
    /// another instance meanwhile is that instance's: it stays.
    func releaseDeliveryLease(of id: Int64, owner: String) async throws {
        try await execute("""
            UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE id = \(id) AND lease_owner = \(owner)
            """)
    }

    /// `DeliveryRecord.requeue(where:...)` on PostgreSQL: the deliveries `condition` appends to (`AND ...`) get
    /// `DeliveryRecord.requeueAssignments`. They are locked in id order, so replays over the same deliveries
    /// (a message's, an endpoint's) take turns and never deadlock. Returns how many.
    func requeueDeliveries(at date: Date, where condition: (inout PostgresQuery) -> Void) async throws -> Int {
        var bindings = PostgresBindings()
        bindings.append(date)
        var query = PostgresQuery(unsafeSQL: """
            WITH requeued AS (
                UPDATE deliveries SET \(DeliveryRecord.requeueAssignments(now: "$1"))
                WHERE id IN (SELECT id FROM deliveries WHERE true
            """, binds: bindings)
        condition(&query)
        query.sql += " ORDER BY id FOR UPDATE) RETURNING 1) SELECT count(*) FROM requeued"
        return try await value(query, as: Int.self) ?? 0
    }
}

// MARK: - Deliveries claimed by one instance at a time

extension PostgresStore {
    /// Claims up to `limit` pending deliveries of `endpoint` due at `now`, earliest first, for this instance: each is
    /// leased to it until `now + leases.delivery`, so no other instance (nor this one again) attempts it meanwhile;
    /// rows another transaction is claiming are skipped (`SKIP LOCKED`), not waited for. A lease whose holder died
    /// expires and is claimed again. The lease ends when the attempt is recorded (`recordAttempt`).
    public func dueDeliveries(to endpoint: EndpointRecord, at now: Date, excluding busy: Set<Int64>, limit: Int) async throws -> [DueDelivery] {
        guard let id = endpoint.id else { return [] }
        let until = now.addingTimeInterval(leases.delivery.seconds)
        return try await transaction { [instance] tx in
            let deliveries = try await tx.all("""
                UPDATE deliveries SET lease_owner = \(instance), lease_until = \(until)
                WHERE id IN (
                    SELECT id FROM deliveries
                    WHERE endpoint = \(id) AND status = 'pending' AND next_attempt_at <= \(now)
                      AND (lease_until IS NULL OR lease_until <= \(now)) AND NOT (id = ANY(\(Array(busy))))
                    ORDER BY next_attempt_at, id LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED)
                RETURNING \(unescaped: DeliveryRecord.postgresColumns)
                """, DeliveryRecord.init(postgres:))
                .sorted { ($0.nextAttemptAt ?? .distantPast, $0.id ?? 0) < ($1.nextAttemptAt ?? .distantPast, $1.id ?? 0) }
            let messages = try await tx.connection.messages(deliveries.map(\.message), logger: tx.logger)
            return deliveries.compactMap { delivery in
                messages[delivery.message].map { DueDelivery(delivery: delivery, message: $0, endpoint: endpoint) }
            }
        }
    }

    /// The earliest date an attempt may be due for this instance among the pending deliveries of `endpoints`,
    /// leaving out `busy` ones (its attempts in flight): the nearest `next_attempt_at` of a delivery nobody holds,
    /// or for one under a lease, the later of its date and the lease's end (a holder that died leaves its deliveries
    /// to be claimed then; one alive is not waited for in a loop). Walks the `deliveries_due` index of each endpoint
    /// in order, and the few leased rows through `deliveries_leased`.
    public func nextAttemptDate(endpoints: [Int64], excluding busy: Set<Int64>) async throws -> Date? {
        guard !endpoints.isEmpty else { return nil }
        return try await value("""
            SELECT least(
                (SELECT min(due.next_attempt_at) FROM unnest(\(endpoints)::bigint[]) AS open (endpoint)
                 CROSS JOIN LATERAL (
                     SELECT next_attempt_at FROM deliveries
                     WHERE endpoint = open.endpoint AND status = 'pending' AND lease_until IS NULL AND NOT (id = ANY(\(Array(busy))))
                     ORDER BY next_attempt_at LIMIT 1) AS due),
                (SELECT min(greatest(next_attempt_at, lease_until)) FROM deliveries
                 WHERE lease_until IS NOT NULL AND status = 'pending' AND endpoint = ANY(\(endpoints)) AND NOT (id = ANY(\(Array(busy))))))
            """, as: Date?.self) ?? nil
    }
}

// MARK: - Reads: what people look at

extension PostgresStore {
    public func enabledEndpoints() async throws -> [EndpointRecord] {
        try await all("SELECT \(unescaped: EndpointRecord.postgresColumns) FROM endpoints WHERE enabled ORDER BY id", EndpointRecord.init(postgres:))
    }

    public func deliveries(matching filter: DeliveryFilter) async throws -> [DeliveryListing] {
        var query: PostgresQuery = "SELECT \(unescaped: DeliveryRecord.postgresColumns) FROM deliveries WHERE true"
        if let endpoint = filter.endpoint { query.append(" AND endpoint = ", endpoint) }
        if let status = filter.status { query.append(" AND status = ", status.rawValue) }
        if let message = filter.message { query.append(" AND message = ", message) }
        if let generation = filter.generation {
            query.append(" AND message IN (SELECT id FROM messages WHERE generation = ", generation)
            query.sql += ")"
        }
        if let before = filter.before { query.append(" AND id < ", before) }
        query.append(" ORDER BY id DESC LIMIT ", filter.limit)
        return try await read { [query] connection in
            let deliveries = try await connection.all(query, logger: logger, DeliveryRecord.init(postgres:))
            let messages = try await connection.messages(deliveries.map(\.message), logger: logger)
            return deliveries.compactMap { delivery in
                messages[delivery.message].map { DeliveryListing(delivery: delivery, message: $0, attempts: []) }
            }
        }
    }

    public func delivery(_ id: Int64) async throws -> DeliveryListing? {
        try await read { connection in
            guard let delivery = try await connection.first("""
                      SELECT \(unescaped: DeliveryRecord.postgresColumns) FROM deliveries WHERE id = \(id)
                      """, logger: logger, DeliveryRecord.init(postgres:)),
                  let message = try await connection.messages([delivery.message], logger: logger)[delivery.message] else { return nil }
            let attempts = try await connection.all("""
                SELECT \(unescaped: DeliveryAttemptRecord.postgresColumns) FROM delivery_attempts WHERE delivery = \(id) ORDER BY id
                """, logger: logger, DeliveryAttemptRecord.init(postgres:))
            return DeliveryListing(delivery: delivery, message: message, attempts: attempts)
        }
    }

    /// One statement, so its counts are of one moment.
    public func deliveryStats() async throws -> DeliveryStats {
        let (pending, oldest, all, enabled) = try await first("""
            SELECT (SELECT count(*) FROM deliveries WHERE status = 'pending'),
                   -- Message ids grow with time: the oldest pending message is the smallest id (deliveries_pending_by_message).
                   (SELECT created_at FROM messages WHERE id = (SELECT min(message) FROM deliveries WHERE status = 'pending')),
                   (SELECT count(*) FROM endpoints),
                   (SELECT count(*) FROM endpoints WHERE enabled)
            """) { try $0.decode((Int, Date?, Int, Int).self) } ?? (0, nil, 0, 0)
        return DeliveryStats(pending: pending, oldestPendingCreatedAt: oldest, enabledEndpoints: enabled, disabledEndpoints: all - enabled)
    }
}

extension PostgresConnection {
    /// The messages of `ids` that exist, by id.
    func messages(_ ids: [Int64], logger: Logger) async throws -> [Int64: MessageRecord] {
        guard !ids.isEmpty else { return [:] }
        let messages = try await all("""
            SELECT \(unescaped: MessageRecord.postgresColumns) FROM messages WHERE id = ANY(\(ids))
            """, logger: logger, MessageRecord.init(postgres:))
        return Dictionary(messages.map { ($0.sequence, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
