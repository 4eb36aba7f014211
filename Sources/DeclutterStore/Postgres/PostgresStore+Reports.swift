import DeclutterAPI
import Foundation
import PostgresNIO

// MARK: - Writes: status reports, submissions, tracking (AppDatabase+Reports, +Submissions, +Tracking on SQLite)

extension PostgresStore {
    /// One transaction with the row operations of `PostgresTransaction`; returns once it is committed (durable:
    /// `synchronous_commit` on). When it changed the outbox, `commits` is poked and the other instances are told.
    func transaction<T: Sendable>(writes: Int = 1, _ body: @escaping @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        let outbox = OutboxChange()
        let result = try await write(writes: writes) { connection in try await body(PostgresTransaction(connection: connection, logger: logger, outbox: outbox)) }
        if outbox.changed {
            life.committedSinceAnnounced.store(true, ordering: .releasing)
            commits.poke()
        }
        return result
    }

    /// Joins the next batch of reports (`PostgresReportBatch`): one transaction for all of them, committed before
    /// any caller hears of its result.
    public func apply(_ report: StatusReport, to locator: GenerationLocator) async throws -> WriteResult? {
        try await life.reports.submit(PostgresReportBatch.Item(report: report, locator: locator)) { items in
            await PostgresReportBatch(store: self).apply(items)
        }
    }

    public func beginSubmission(_ request: SubmissionRequest, at date: Date) async throws -> SubmissionStart {
        try await transaction { tx in
            // Two instances given one key at once take turns: the second finds what the first wrote.
            if let key = request.idempotencyKey { try await tx.lock("idempotency_keys", key) }
            if let first = try await Self.firstResult(of: request, in: tx) { return .replay(first) }
            var generation = GenerationRecord.submitting(request, at: date)
            if let photo = request.listingPhoto {
                generation.keyName = try await tx.all(KeySQL.postgres.query(KeySQL.postgres.listingKey, photo)) { try $0.decode(String?.self) }.first ?? nil
            } else {
                try await tx.checkBudget(ofKey: request.keyName, needed: 1, at: date)
            }
            try await tx.insertAnnounced(&generation, with: request.uploads, at: date)
            if let photo = request.listingPhoto { try await tx.takeLaunch(of: photo, by: try generation.requireID(), at: date) }
            if let key = request.idempotencyKey {
                try await tx.execute("""
                    INSERT INTO idempotency_keys (key, request_fingerprint, generation, created_at)
                    VALUES (\(key), \(request.fingerprint), \(try generation.requireID()), \(date))
                    """)
            }
            return .new(generation)
        }
    }

    public func replay(of request: SubmissionRequest) async throws -> GenerationRecord? {
        try await transaction { tx in try await Self.firstResult(of: request, in: tx) }
    }

    private static func firstResult(of request: SubmissionRequest, in tx: PostgresTransaction) async throws -> GenerationRecord? {
        guard let key = request.idempotencyKey,
              let seen = try await tx.all("SELECT request_fingerprint, generation FROM idempotency_keys WHERE key = \(key)", {
                  try $0.decode((String, Int64).self)
              }).first else { return nil }
        guard seen.0 == request.fingerprint else { throw StoreError.idempotencyKeyReused(key: key) }
        guard let first = try await tx.generation(.row(seen.1), forUpdate: false) else { throw StoreError.generationNotFound }
        return first
    }

    public func recordAccepted(_ answer: SubmissionAnswer, forRow row: Int64, at date: Date, firstPollAt: Date) async throws -> WriteResult {
        try await transaction { [outboxPolicy, instance] tx in
            guard let stored = try await tx.generation(.row(row)) else { throw StoreError.generationNotFound }
            var facts = AcceptanceFacts()
            facts.rowWithGenerationID = try await tx.generation(.generationID(answer.generationID), forUpdate: false)?.id
            if let projectID = answer.variationProject(of: stored) {
                // Variations of one project accepted at once on two instances take turns: each counts the other.
                try await tx.lock("projects", StoreFormat.uuid(projectID))
                facts.launchedVariations = try await tx.value("""
                    SELECT count(*) FROM generations
                    WHERE project_id = \(projectID) AND kind = 'variation' AND generation_id IS NOT NULL AND id <> \(row)
                    """, as: Int.self) ?? 0
            }
            // Readings take turns, so that one fall to the threshold sends one quota.low.
            try await tx.lock("quota_history", "readings")
            facts.previousRemaining = try await tx.value("SELECT remaining_photos FROM quota_history ORDER BY id DESC LIMIT 1", as: Int.self)
            var plan = ReportPlan()
            try plan.add(accepted: answer, about: stored, facts: facts, policy: outboxPolicy, at: date, firstPollAt: firstPollAt)
            return try plan.onlyResult(eventIDs: try await tx.carryOut(plan, instance: instance))
        }
    }

    public func recordRejected(forRow row: Int64, httpStatus: Int?, reason: String, rawBody: Data?, at date: Date) async throws -> WriteResult {
        try await recordDecision(.rejected(reason: reason, httpStatus: httpStatus, rawBody: rawBody), forRow: row, at: date, nextPollAt: nil)
    }

    public func recordOutcomeUnknown(forRow row: Int64, reason: String, httpStatus: Int?, at date: Date, giveUpAt: Date) async throws -> WriteResult {
        try await recordDecision(.outcomeUnknown(reason: reason, httpStatus: httpStatus), forRow: row, at: date, nextPollAt: giveUpAt)
    }

    /// As on SQLite, but only for submissions older than `leases.submissionInFlight`: other instances may be sending the
    /// younger ones upstream right now.
    public func scheduleOrphanedSubmissions(giveUpAfter: Duration, at date: Date) async throws -> Int {
        let youngest = date.addingTimeInterval(-leases.submissionInFlight.seconds)
        return try await transaction { tx in
            try await tx.value("""
                WITH scheduled AS (
                    UPDATE generations SET next_poll_at = created_at + make_interval(secs => \(Int(giveUpAfter.seconds.rounded(.up))))
                    WHERE status = 'SUBMITTING' AND next_poll_at IS NULL
                      AND created_at < \(youngest)
                    RETURNING 1
                )
                SELECT count(*) FROM scheduled
                """, as: Int.self) ?? 0
        }
    }

    public func markLost(row: Int64, reason: String, at date: Date) async throws -> WriteResult {
        try await recordDecision(.lost(reason: reason), forRow: row, at: date, nextPollAt: nil)
    }

    public func recordPollFailure(row: Int64, httpStatus: Int?, reason: String, rawBody: Data?, at date: Date, nextPollAt: Date) async throws -> WriteResult {
        try await recordDecision(.pollFailed(reason: reason, httpStatus: httpStatus, rawBody: rawBody), forRow: row, at: date, nextPollAt: nextPollAt)
    }

    /// A local decision or a failed call as a plan of its own (`ReportPlan`), carried out in one transaction.
    /// As on SQLite: the decision's plan, then `also`, in one transaction.
    func recordDecision(_ decision: LocalDecision, forRow row: Int64, at date: Date, nextPollAt: Date?,
                        also: @escaping @Sendable (PostgresTransaction) async throws -> Void = { _ in }) async throws -> WriteResult {
        try await transaction { [instance] tx in
            guard let generation = try await tx.generation(.row(row)) else { throw StoreError.generationNotFound }
            var plan = ReportPlan()
            try plan.add(decision, about: generation, at: date, nextPollAt: nextPollAt)
            let result = try plan.onlyResult(eventIDs: try await tx.carryOut(plan, instance: instance))
            try await also(tx)
            return result
        }
    }

    public func track(generationID: UUID, at date: Date, firstPollAt: Date) async throws -> (GenerationRecord, created: Bool) {
        try await transaction { tx in
            // Two instances adopting one generation at once take turns: the second finds the first's row.
            try await tx.lock("generations.generation_id", StoreFormat.uuid(generationID))
            if let known = try await tx.generation(.generationID(generationID), forUpdate: false) { return (known, false) }
            var generation = GenerationRecord.tracked(generationID, at: date, firstPollAt: firstPollAt)
            try await tx.insertAnnounced(&generation, at: date)
            return (generation, true)
        }
    }
}
