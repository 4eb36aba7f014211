import DeclutterAPI
import Foundation
import GRDB

// MARK: - Writes: status reports (callbacks and poll answers)

extension AppDatabase {
    /// Applies a callback or poll answer and records its event, in one transaction.
    /// Returns nil, having written nothing, when no generation matches `locator`, or when the callback's token
    /// has outlived its retention.
    public func apply(_ report: StatusReport, to locator: GenerationLocator) async throws -> WriteResult? {
        try await write { db in
            guard var generation = try GenerationRecord.find(locator, in: db) else { return nil }
            if let retention = report.retention, generation.tokenExpired(at: report.receivedAt, after: retention.tokenTTL) { return nil }
            return try Self.apply(report, to: &generation, storedAs: generation, in: db)
        }
    }

    /// `stored`: the row as read, before the caller changed anything; the row is written only when it differs.
    /// The decisions are `ReportDecision`'s; this reads and writes the rows.
    static func apply(_ report: StatusReport, to generation: inout GenerationRecord, storedAs stored: GenerationRecord,
                      in db: Database) throws -> WriteResult {
        var decision = try ReportDecision(report, about: generation)
        if let payload = decision.payload { try generation.noteIdentity(from: payload, in: db, at: report.receivedAt) }
        decision.change(&generation)
        if decision.writesRow(generation, storedAs: stored) {
            generation.updatedAt = report.receivedAt
            try generation.save(changeFrom: decision.before, outcome: decision.event.outcome, at: report.receivedAt, in: db)
        }
        if let retention = decision.retention {
            let kept = try EventRecord.unappliedCallbacks(of: decision.event.generation, upTo: retention.rejectedEvents, in: db)
            guard decision.keep(keptAlready: kept, within: retention) else { return decision.result(generation) }
        }
        try decision.event.insertRow(db)
        return decision.result(generation)
    }
}

extension RetrievalPayload {
    /// The generation-id rule of the validator, checked once the generation is known.
    func checked(against expected: UUID?) -> Result<RetrievalPayload, PayloadViolation> {
        RetrievalPayloadValidator.checkGenerationID(self, expected: expected).map { self }
    }
}

extension EventRecord {
    /// Callbacks kept for a generation that changed nothing, counted up to `limit` (an index-only count).
    static func unappliedCallbacks(of generation: Int64, upTo limit: Int, in db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) FROM (SELECT 1 FROM events WHERE generation = ? AND source = 'callback' AND outcome != 'applied' LIMIT ?)
            """), arguments: [generation, limit]) ?? 0
    }
}

extension GenerationRecord {
    /// A final generation's callback token is accepted for `ttl` after it ended.
    func tokenExpired(at date: Date, after ttl: Duration) -> Bool {
        guard status.isFinal else { return false }
        return date.timeIntervalSince(completedAt ?? updatedAt) > ttl.seconds  // completed_at: set on every final state
    }

    /// One statement per locator, compiled once per connection: a callback's lookup is the writer's hottest read.
    static func find(_ locator: GenerationLocator, in db: Database) throws -> GenerationRecord? {
        switch locator {
        case .row(let id):
            try fetchOne(db.cachedStatement(sql: "SELECT * FROM generations WHERE id = ?"), arguments: [id])
        case .callbackTokenHash(let hash):
            try fetchOne(db.cachedStatement(sql: "SELECT * FROM generations WHERE callback_token_hash = ?"), arguments: [hash])
        case .generationID(let id):
            try fetchOne(db.cachedStatement(sql: "SELECT * FROM generations WHERE generation_id = ?"), arguments: [StoreFormat.uuid(id)])
        }
    }

    func requireID() throws -> Int64 {
        guard let id else { throw StoreError.generationNotFound }
        return id
    }

    /// Takes an applied payload's status and results.
    mutating func take(_ payload: RetrievalPayload, from source: EventSource, at date: Date) {
        status = GenerationState(payload.status)
        statusReason = nil
        if !payload.images.isEmpty { images = payload.images }
        if payload.status.isTerminal {
            completedAt = date
            resolvedBy = source == .callback ? .callback : .poll
            refunded = payload.status == .failed
        }
    }

    /// Learns the upstream ids and the project's variation count a payload carries.
    mutating func noteIdentity(from payload: RetrievalPayload, in db: Database, at date: Date) throws {
        if generationID == nil, let id = payload.generationID { generationID = id }
        if projectID == nil, let id = payload.projectID {
            try ProjectRecord.ensure(id, in: db, at: date)
            projectID = id
        }
        if let count = payload.variations {
            variations = count
            if let projectID { try ProjectRecord.raiseVariations(of: projectID, to: count, in: db, at: date) }
        }
    }

    mutating func notePoll(at date: Date, answered: Bool) {
        pollAttempts += 1
        lastPolledAt = date
        pollFailures = answered ? 0 : pollFailures + 1
    }

    /// Pending generations keep a poll date; all others have none.
    mutating func reschedule(_ reschedule: PollReschedule) {
        nextPollAt = status.isPending ? reschedule.apply(to: nextPollAt) : nil
    }
}

extension ProjectRecord {
    static func ensure(_ id: UUID, in db: Database, at date: Date) throws {
        try db.cachedStatement(sql: "INSERT INTO projects (id, created_at, updated_at, variations_count) VALUES (?, ?, ?, 0) ON CONFLICT(id) DO NOTHING")
            .execute(arguments: [StoreFormat.uuid(id), StoreFormat.timestamp(date), StoreFormat.timestamp(date)])
    }

    static func raiseVariations(of id: UUID, to count: Int, in db: Database, at date: Date) throws {
        try db.cachedStatement(sql: "UPDATE projects SET variations_count = max(variations_count, ?), updated_at = ? WHERE id = ?")
            .execute(arguments: [count, StoreFormat.timestamp(date), StoreFormat.uuid(id)])
    }
}
