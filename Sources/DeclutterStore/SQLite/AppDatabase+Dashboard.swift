import Foundation
import GRDB

/// How many generations created in one hour ended which way: one bar of the dashboard's chart.
public struct HourlyOutcomes: Sendable, Equatable {
    /// The hour, as `StoreFormat.timestamp` writes its first 13 characters (`2026-11-24T23`).
    public var hour: String
    public var succeeded = 0
    /// FAILED, REJECTED or LOST.
    public var endedWithoutResult = 0
    public var pending = 0

    public init(hour: String) { self.hour = hour }

    /// Counts `count` generations in `state` under the outcome the dashboard shows for it.
    mutating func add(_ count: Int, in state: GenerationState) {
        if state == .succeeded { succeeded += count }
        else if state.endedWithoutResult { endedWithoutResult += count }
        else { pending += count }
    }
}

/// An endpoint's latest delivery attempts, as the dashboard's endpoints page counts them.
public struct EndpointAttemptCounts: Sendable, Equatable {
    public var attempts = 0
    /// Attempts answered with an error or a status outside 2xx.
    public var failures = 0

    public init() {}
}

// MARK: - Reads for the dashboard: summaries kept cheap enough to draw on every page load

extension AppDatabase {
    /// Generations created since `since`, counted per hour and outcome. Naming every state lets SQLite read
    /// `generations_by_status` (status, created_at) alone, a range per state, never a row of the table: with
    /// 100,000 generations over two days, the overview went from 178 ms to 96 ms (release build, scripts/bench/dashboard.py).
    public func hourlyOutcomes(since: Date) async throws -> [String: HourlyOutcomes] {
        try await read { db in
            var hours: [String: HourlyOutcomes] = [:]
            let states = GenerationState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT substr(created_at, 1, 13) AS hour, status, count(*) AS n
                FROM generations WHERE status IN (\(states)) AND created_at >= ? GROUP BY hour, status
                """, arguments: [StoreFormat.timestamp(since)])
            for row in rows {
                let hour: String = row["hour"]
                guard let state = GenerationState(rawValue: row["status"]) else { continue }
                let count: Int = row["n"]
                hours[hour, default: HourlyOutcomes(hour: hour)].add(count, in: state)
            }
            return hours
        }
    }

    /// Deliveries that gave up for good.
    public func failedDeliveryCount() async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM deliveries WHERE status = 'failed'") ?? 0
        }
    }

    /// Per endpoint, its share of the latest `window` attempts of all endpoints: read newest first by primary key, so
    /// the cost does not grow with the history kept.
    public func recentAttemptCounts(window: Int) async throws -> [Int64: EndpointAttemptCounts] {
        try await read { db in
            var counts: [Int64: EndpointAttemptCounts] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT endpoint, count(*) AS n,
                       total(error IS NOT NULL OR http_status IS NULL OR http_status NOT BETWEEN 200 AND 299) AS failures
                FROM (SELECT endpoint, error, http_status FROM delivery_attempts ORDER BY id DESC LIMIT ?)
                GROUP BY endpoint
                """, arguments: [window])
            for row in rows {
                var entry = EndpointAttemptCounts()
                entry.attempts = row["n"]
                entry.failures = Int(row["failures"] as Double? ?? 0)
                counts[row["endpoint"]] = entry
            }
            return counts
        }
    }
}
