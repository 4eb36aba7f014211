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
    /// Only generations launched with this local API key.
    public var key: String?
    public var limit: Int

    public init(status: GenerationState? = nil, projectID: UUID? = nil, since: Date? = nil, kind: GenerationKind? = nil,
                before: Int64? = nil, key: String? = nil, limit: Int = 50) {
        self.status = status
        self.projectID = projectID
        self.since = since
        self.kind = kind
        self.before = before
        self.key = key
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
        try await read { db in try Self.listRequest(filter).fetchAll(db) }
    }

    /// Newest first: with a state, straight from `generations_by_status_newest`; with a project, from
    /// `generations_by_project` (both end in the id), so a page reads its rows and no more.
    static func listRequest(_ filter: GenerationFilter) -> QueryInterfaceRequest<GenerationRecord> {
        var request = GenerationRecord.all()
        if let status = filter.status { request = request.filter(GenerationRecord.Columns.status == status.rawValue) }
        if let projectID = filter.projectID { request = request.filter(GenerationRecord.Columns.projectID == StoreFormat.uuid(projectID)) }
        if let since = filter.since { request = request.filter(GenerationRecord.Columns.createdAt >= StoreFormat.timestamp(since)) }
        if let kind = filter.kind { request = request.filter(Column("kind") == kind.rawValue) }
        if let before = filter.before { request = request.filter(GenerationRecord.Columns.id < before) }
        if let key = filter.key { request = request.filter(Column("key_name") == key) }
        return request.order(GenerationRecord.Columns.id.desc).limit(filter.limit)
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

    /// Reads the triggers' tallies and a few index seeks: the same few milliseconds at any table size.
    public func stats() async throws -> StoreStats {
        try await read { db in
            var counts: [GenerationState: Int] = [:]
            for (key, count, _) in try Tally.read("generations.status", in: db) {
                if let state = GenerationState(rawValue: key) { counts[state] = count }
            }
            let resolved = Dictionary(uniqueKeysWithValues: try Tally.read("generations.resolved_by", in: db).map { ($0.key, $0.count) })
            let quota = try QuotaRecord.order(Column("id").desc).fetchOne(db)
            let refunds = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM generations WHERE refunded = 1 AND completed_at >= ?
                """, arguments: [quota.map { StoreFormat.timestamp($0.recordedAt) } ?? ""]) ?? 0
            // One index seek per pending state (generations_by_status), rather than a scan of all three.
            let seeks = GenerationState.pending.map { "SELECT min(created_at) AS oldest FROM generations WHERE status = '\($0.rawValue)'" }
            let oldest = try String.fetchOne(db, sql: "SELECT min(oldest) FROM (\(seeks.joined(separator: " UNION ALL ")))")
                .flatMap(StoreFormat.date(fromTimestamp:))
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

/// The counts the triggers of `tallies` keep (migration v5).
enum Tally {
    /// Every key of `subject` with its count (and, for images, their bytes).
    static func read(_ subject: String, in db: Database) throws -> [(key: String, count: Int, bytes: Int64)] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT key, count, bytes FROM tallies WHERE subject = ?"), arguments: [subject])
            .map { (key: $0["key"], count: $0["count"], bytes: $0["bytes"]) }
    }
}
