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
    static func apply(_ report: StatusReport, to generation: inout GenerationRecord, storedAs stored: GenerationRecord,
                      in db: Database) throws -> WriteResult {
        let before = generation.status
        var event = EventRecord(
            generation: try generation.requireID(), source: report.source, receivedAt: report.receivedAt,
            httpStatus: report.httpStatus, rawBody: RawBody(report.rawBody), outcome: .rejected, statusBefore: before)
        var violation: PayloadViolation?
        switch report.payload.flatMap({ $0.checked(against: generation.generationID) }) {
        case .failure(let broken):
            violation = broken
            event.reason = broken.description
        case .success(let payload):
            event.statusReported = payload.status
            event.outcome = StatusTransition.outcome(current: before, reported: payload.status)
            if event.outcome == .applied {
                generation.take(payload, from: report.source, at: report.receivedAt)
            } else if event.outcome == .conflict {
                event.reason = "reported \(payload.status.rawValue) while \(before.rawValue)"
            }
            try generation.noteIdentity(from: payload, in: db, at: report.receivedAt)
        }
        if report.source == .poll {
            generation.notePoll(at: report.receivedAt, answered: violation == nil)
        }
        // An invalid callback is no news about the generation: it must not put off its fallback poll,
        // nor touch its row at all; only its event is written.
        if violation == nil || report.source == .poll {
            generation.reschedule(report.rescheduleIfPending)
            // A report that changes nothing (a duplicate of a final state, say) leaves the row as it was.
            if generation != stored {
                generation.updatedAt = report.receivedAt
                try generation.save(changeFrom: before, outcome: event.outcome, at: report.receivedAt, in: db)
            }
        }
        if event.outcome != .applied, let retention = report.retention {
            // A callback that changed nothing (invalid, duplicate, stale, conflict): its trail is bounded, in
            // number and in size, so a leaked callback URL cannot fill the disk.
            guard try EventRecord.unappliedCallbacks(of: event.generation, upTo: retention.rejectedEvents, in: db) < retention.rejectedEvents else {
                return WriteResult(outcome: event.outcome, violation: violation, generation: generation, event: event)
            }
            event.rawBody = RawBody(report.rawBody.prefix(retention.rejectedBodyBytes))
            if report.rawBody.count > retention.rejectedBodyBytes {
                event.reason = [event.reason, "body cut to \(retention.rejectedBodyBytes) of \(report.rawBody.count) bytes"]
                    .compactMap { $0 }.joined(separator: "; ")
            }
        }
        try event.insertRow(db)
        return WriteResult(outcome: event.outcome, violation: violation, generation: generation, event: event)
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
