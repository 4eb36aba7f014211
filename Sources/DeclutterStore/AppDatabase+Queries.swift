import Foundation
import GRDB

/// Filters of `GET /v1/generations`: newest first, cursor = the last id seen.
public struct GenerationFilter: Sendable, Equatable {
    public var status: GenerationState?
    public var projectID: UUID?
    public var since: Date?
    /// Only generations of this kind (the dashboard's list filters on it; the JSON list does not).
    public var kind: GenerationKind?
    public var before: Int64?
    public var limit: Int

    public init(status: GenerationState? = nil, projectID: UUID? = nil, since: Date? = nil, kind: GenerationKind? = nil,
                before: Int64? = nil, limit: Int = 50) {
        self.status = status
        self.projectID = projectID
        self.since = since
        self.kind = kind
        self.before = before
        self.limit = limit
    }
}

/// The numbers behind `GET /v1/stats`.
public struct StoreStats: Sendable, Equatable {
    public var countsByState: [GenerationState: Int]
    public var latestQuota: QuotaRecord?
    /// FAILED (refunded) generations completed since the latest quota reading.
    public var refundsSinceQuota: Int
    public var resolvedByCallback: Int
    public var resolvedByPoll: Int
    public var oldestPendingCreatedAt: Date?
    /// Submissions whose upstream outcome is unknown (sent, no answer).
    public var unknownOutcomes: Int
    public var events: Int

    /// Generations still waiting for an upstream answer.
    public var pending: Int { count(where: \.isPending) }

    /// Generations over without a result: FAILED, REJECTED or LOST.
    public var endedWithoutResult: Int { count(where: \.endedWithoutResult) }

    private func count(where condition: (GenerationState) -> Bool) -> Int {
        countsByState.filter { condition($0.key) }.values.reduce(0, +)
    }
}

// MARK: - Reads: lists and summaries

extension AppDatabase {
    public func generations(matching filter: GenerationFilter) async throws -> [GenerationRecord] {
        try await read { db in
            var request = GenerationRecord.all()
            if let status = filter.status { request = request.filter(GenerationRecord.Columns.status == status.rawValue) }
            if let projectID = filter.projectID { request = request.filter(GenerationRecord.Columns.projectID == StoreFormat.uuid(projectID)) }
            if let since = filter.since { request = request.filter(GenerationRecord.Columns.createdAt >= StoreFormat.timestamp(since)) }
            if let kind = filter.kind { request = request.filter(Column("kind") == kind.rawValue) }
            if let before = filter.before { request = request.filter(GenerationRecord.Columns.id < before) }
            return try request.order(GenerationRecord.Columns.id.desc).limit(filter.limit).fetchAll(db)
        }
    }

    /// A project and its generations, oldest first.
    public func projectWithGenerations(_ id: UUID) async throws -> (ProjectRecord, [GenerationRecord])? {
        try await read { db in
            guard let project = try ProjectRecord.fetchOne(db, key: StoreFormat.uuid(id)) else { return nil }
            let generations = try GenerationRecord.filter(GenerationRecord.Columns.projectID == StoreFormat.uuid(id))
                .order(GenerationRecord.Columns.id).fetchAll(db)
            return (project, generations)
        }
    }

    public func stats() async throws -> StoreStats {
        try await read { db in
            var counts: [GenerationState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM generations GROUP BY status") {
                if let state = GenerationState(rawValue: row["status"]) { counts[state] = row["n"] }
            }
            let quota = try QuotaRecord.order(Column("id").desc).fetchOne(db)
            let refunds = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM generations WHERE refunded = 1 AND completed_at >= ?
                """, arguments: [quota.map { StoreFormat.timestamp($0.recordedAt) } ?? ""]) ?? 0
            var resolved: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT resolved_by, count(*) AS n FROM generations WHERE resolved_by IS NOT NULL GROUP BY resolved_by") {
                resolved[row["resolved_by"]] = row["n"]
            }
            let oldest = try String.fetchOne(db, sql: """
                SELECT min(created_at) FROM generations WHERE status IN ('SUBMITTING', 'STARTING', 'PROCESSING')
                """).flatMap(StoreFormat.date(fromTimestamp:))
            let unknown = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM generations WHERE status = 'SUBMITTING' AND status_reason IS NOT NULL
                """) ?? 0
            let events = try Int.fetchOne(db, sql: "SELECT max(id) FROM events") ?? 0
            return StoreStats(countsByState: counts, latestQuota: quota, refundsSinceQuota: refunds,
                              resolvedByCallback: resolved["callback"] ?? 0, resolvedByPoll: resolved["poll"] ?? 0, oldestPendingCreatedAt: oldest,
                              unknownOutcomes: unknown, events: events)
        }
    }
}
