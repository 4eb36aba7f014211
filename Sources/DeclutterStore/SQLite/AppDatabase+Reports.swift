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
            // One report as a plan of its own (`ReportPlan`, the rules both backends share), carried out at once.
            var plan = ReportPlan()
            try plan.add(report, about: try GenerationRecord.find(locator, in: db)) { row, limit in
                try EventRecord.unappliedCallbacks(of: row, upTo: limit, in: db)
            }
            return try plan.results(eventIDs: plan.carryOut(in: db)).first ?? nil
        }
    }
}

extension ReportPlan {
    /// Writes the plan with SQLite's row operations; returns the ids of its events, in order.
    func carryOut(in db: Database) throws -> [Int64] {
        for project in projectsByID {
            try ProjectRecord.ensure(project.id, in: db, at: project.at)
            if let count = project.variations { try ProjectRecord.raiseVariations(of: project.id, to: count, in: db, at: project.at) }
        }
        for reading in quotaReadings { _ = try reading.inserted(db) }
        for notice in notices { try Outbox.insert(notice, in: db) }
        for row in changedRows { try row.update(db) }
        for image in images {
            var image = image
            try image.insert(db, onConflict: .ignore)
        }
        for announcement in announcements {
            try Outbox.publish(announcement.type, about: announcement.generation, at: announcement.at, in: db)
        }
        for released in releasedKeys {
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE key = ? AND generation = ?", arguments: [released.key, released.generation])
        }
        return try events.map { event in
            var event = event
            try event.insertRow(db)
            return db.lastInsertedRowID
        }
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
