import Foundation
import GRDB

/// Which deliveries `deliveries(matching:)` lists: newest first, at most `limit`, before the id `before`.
public struct DeliveryFilter: Sendable, Equatable {
    public var endpoint: Int64?
    public var status: DeliveryStatus?
    /// `generations.id`.
    public var generation: Int64?
    public var message: Int64?
    public var before: Int64?
    public var limit = 50

    public init(endpoint: Int64? = nil, status: DeliveryStatus? = nil, generation: Int64? = nil, message: Int64? = nil) {
        self.endpoint = endpoint
        self.status = status
        self.generation = generation
        self.message = message
    }
}

/// What the delivery metrics show, read at scrape time.
public struct DeliveryStats: Sendable, Equatable {
    public var pending: Int
    public var oldestPendingCreatedAt: Date?
    public var enabledEndpoints: Int
    public var disabledEndpoints: Int
}

// MARK: - Writes: attempts and replays

extension AppDatabase {
    /// Records one attempt and what it decided: the attempt row, the delivery's new status and next attempt,
    /// and the endpoint's health (disabled on 410, or when it has been failing since before
    /// `report.disableIfFailingSince`). Nothing happens when the delivery is gone (its endpoint was deleted).
    public func recordAttempt(_ report: AttemptReport) async throws -> EndpointChange {
        try await write { db in
            guard var delivery = try DeliveryRecord.fetchOne(db, key: report.deliveryID) else { return .none }
            var attempt = delivery.take(report)
            try delivery.update(db)
            try attempt.insert(db)
            guard var endpoint = try EndpointRecord.fetchOne(db, key: delivery.endpoint) else { return .none }
            guard let change = endpoint.take(report) else { return .none }
            try endpoint.update(db)
            return change
        }
    }

    /// Queues a message again (as a new round of the schedule, due now) for `endpoint`, or for every endpoint
    /// it was queued for; an endpoint given that never had it (added later) gets it too, when it takes its type.
    /// Returns how many deliveries were queued; nil when there is no such message.
    public func redeliver(message: Int64, endpoint: Int64?, at date: Date) async throws -> Int? {
        try await write { db in
            guard let record = try MessageRecord.fetchOne(db, key: message) else { return nil }
            if let endpoint, try EndpointRecord.fetchOne(db, key: endpoint)?.takes(record.type) == true {
                let now = StoreFormat.timestamp(date)
                try db.execute(sql: """
                    INSERT INTO deliveries (message, endpoint, status, next_attempt_at, created_at, updated_at)
                    VALUES (?, ?, 'pending', ?, ?, ?) ON CONFLICT(message, endpoint) DO NOTHING
                    """, arguments: [message, endpoint, now, now, now])
            }
            var condition = "message = ?"
            var arguments: StatementArguments = [message]
            if let endpoint {
                condition += " AND endpoint = ?"
                arguments += [endpoint]
            }
            return try DeliveryRecord.requeue(where: condition, arguments, at: date, in: db)
        }
    }

    /// Replays every delivery to `endpoint` that failed (a dead letter) whose message was written at or after
    /// `since`. Returns how many were queued; nil when there is no such endpoint.
    public func recover(endpoint: Int64, since: Date, at date: Date) async throws -> Int? {
        try await write { db in
            guard try EndpointRecord.exists(db, key: endpoint) else { return nil }
            return try DeliveryRecord.requeue(
                where: "endpoint = ? AND status = 'failed' AND message IN (SELECT id FROM messages WHERE created_at >= ?)",
                [endpoint, StoreFormat.timestamp(since)], at: date, in: db)
        }
    }
}

extension DeliveryRecord {
    /// Makes the matching deliveries pending, due at `date`, at the start of the schedule.
    static func requeue(where condition: String, _ arguments: StatementArguments, at date: Date, in db: Database) throws -> Int {
        let now = StoreFormat.timestamp(date)
        try db.execute(sql: "UPDATE deliveries SET \(requeueAssignments(now: "?")) WHERE \(condition)", arguments: [now, now] + arguments)
        return db.changesCount
    }
}

// MARK: - Reads: what the worker attempts, and what people look at

extension AppDatabase {
    /// Up to `limit` pending deliveries of `endpoint` due at `now`, earliest first, leaving out `busy` ones.
    /// The endpoint is as the caller read it (`enabledEndpoints()`): one read per wake, not one per endpoint.
    public func dueDeliveries(to endpoint: EndpointRecord, at now: Date, excluding busy: Set<Int64>, limit: Int) async throws -> [DueDelivery] {
        guard let id = endpoint.id else { return [] }
        return try await read { db in
            let deliveries = try DeliveryRecord.fetchAll(db, sql: """
                SELECT * FROM deliveries INDEXED BY deliveries_due
                WHERE endpoint = ? AND status = 'pending' AND next_attempt_at <= ? \(Self.notIn(busy))
                ORDER BY next_attempt_at LIMIT ?
                """, arguments: [id, StoreFormat.timestamp(now), limit])
            let messages = Dictionary(try MessageRecord.fetchAll(db, keys: deliveries.map(\.message)).map { ($0.sequence, $0) },
                                      uniquingKeysWith: { first, _ in first })
            return deliveries.compactMap { delivery in
                messages[delivery.message].map { DueDelivery(delivery: delivery, message: $0, endpoint: endpoint) }
            }
        }
    }

    /// The earliest next attempt among the pending deliveries of `endpoints`, leaving out `busy` ones.
    public func nextAttemptDate(endpoints: [Int64], excluding busy: Set<Int64>) async throws -> Date? {
        guard !endpoints.isEmpty else { return nil }
        return try await read { db in
            try endpoints.compactMap { endpoint in
                try String.fetchOne(db, sql: """
                    SELECT next_attempt_at FROM deliveries INDEXED BY deliveries_due
                    WHERE endpoint = ? AND status = 'pending' \(Self.notIn(busy)) ORDER BY next_attempt_at LIMIT 1
                    """, arguments: [endpoint]).flatMap(StoreFormat.date(fromTimestamp:))
            }.min()
        }
    }

    /// The enabled endpoints, by id.
    public func enabledEndpoints() async throws -> [EndpointRecord] {
        try await read { db in try EndpointRecord.filter(Column("enabled") == true).order(Column("id")).fetchAll(db) }
    }

    /// Deliveries with their messages, newest first.
    public func deliveries(matching filter: DeliveryFilter) async throws -> [DeliveryListing] {
        try await read { db in
            var request = DeliveryRecord.all()
            if let endpoint = filter.endpoint { request = request.filter(Column("endpoint") == endpoint) }
            if let status = filter.status { request = request.filter(Column("status") == status.rawValue) }
            if let message = filter.message { request = request.filter(Column("message") == message) }
            if let generation = filter.generation {
                request = request.filter(sql: "message IN (SELECT id FROM messages WHERE generation = ?)", arguments: [generation])
            }
            if let before = filter.before { request = request.filter(Column("id") < before) }
            return try request.order(Column("id").desc).limit(filter.limit).fetchAll(db).compactMap { delivery in
                try MessageRecord.fetchOne(db, key: delivery.message).map { DeliveryListing(delivery: delivery, message: $0, attempts: []) }
            }
        }
    }

    /// One delivery with its message and every attempt, oldest first.
    public func delivery(_ id: Int64) async throws -> DeliveryListing? {
        try await read { db in
            guard let delivery = try DeliveryRecord.fetchOne(db, key: id),
                  let message = try MessageRecord.fetchOne(db, key: delivery.message) else { return nil }
            let attempts = try DeliveryAttemptRecord.filter(Column("delivery") == id).order(Column("id")).fetchAll(db)
            return DeliveryListing(delivery: delivery, message: message, attempts: attempts)
        }
    }

    public func deliveryStats() async throws -> DeliveryStats {
        try await read { db in
            let pending = try Int.fetchOne(db, sql: "SELECT count(*) FROM deliveries WHERE status = 'pending'") ?? 0
            // Message ids grow with time: the oldest pending message is the smallest id (deliveries_pending_by_message).
            let oldest = try String.fetchOne(db, sql: """
                SELECT created_at FROM messages WHERE id = (SELECT min(message) FROM deliveries WHERE status = 'pending')
                """).flatMap(StoreFormat.date(fromTimestamp:))
            let row = try Row.fetchOne(db, sql: "SELECT count(*) AS all_, total(enabled) AS enabled FROM endpoints")
            let all: Int = row?["all_"] ?? 0, enabled = Int(row?["enabled"] as Double? ?? 0)
            return DeliveryStats(pending: pending, oldestPendingCreatedAt: oldest, enabledEndpoints: enabled, disabledEndpoints: all - enabled)
        }
    }

    static func notIn(_ ids: Set<Int64>) -> String {
        ids.isEmpty ? "" : "AND id NOT IN (\(ids.sorted().map(String.init).joined(separator: ",")))"
    }
}
