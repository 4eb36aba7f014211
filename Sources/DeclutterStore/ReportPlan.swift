import DeclutterAPI
import Foundation

/// What a run of status reports (callbacks, poll answers, submission answers with their quota readings) and local
/// decisions (REJECTED, LOST, an unknown outcome, a failed poll) writes, decided in memory: the one orchestration of
/// each, shared by both backends. A backend reads the facts (the generation each one names, and on request how many unapplied callbacks
/// a generation keeps), adds them in order, and carries out the plan in the transaction that read them: SQLite one
/// at a time inside its group commit (`SQLite/AppDatabase+Reports`), PostgreSQL a whole batch with one statement
/// per table (`Postgres/PostgresReportBatch`, `Postgres/PostgresReportPlan`).
///
/// Reports on one generation see each other: the second of two in a plan is decided against the row as the first
/// left it, and counts the callbacks the first kept.
struct ReportPlan {
    /// Projects a payload named, to exist before any row points at them (`ON CONFLICT DO NOTHING`).
    private(set) var projects: [ProjectMention] = []
    /// Each generation's row as the last report that changed it left it, by id.
    private(set) var rows: [Int64: GenerationRecord] = [:]
    /// The events kept, in the order of their reports.
    private(set) var events: [EventRecord] = []
    /// Result images to queue for the archive (`ON CONFLICT DO NOTHING`: a position queued before stays as it is).
    private(set) var images: [ImageRecord] = []
    /// The changes of state to announce, in order: each a message about the generation as it was then.
    private(set) var announcements: [Announcement] = []
    /// The generations whose poll answers (or give-ups) the plan holds: their poll lease ends with it (PostgreSQL).
    private(set) var polled: Set<Int64> = []
    /// Idempotency-Keys a refusal releases (nothing was spent: a retry under the key may try again), with their row.
    private(set) var releasedKeys: [(key: String, generation: Int64)] = []
    /// `remaining_photos` readings to record (a submission's answer).
    private(set) var quotaReadings: [QuotaRecord] = []
    /// Messages that announce no change of state (`quota.low`): published before the announcements.
    private(set) var notices: [MessageRecord] = []
    /// Unapplied callbacks kept by this plan, per generation: added to what the store held before it.
    private var keptHere: [Int64: Int] = [:]
    /// What each report did, in order; their events' ids are filled in by `results(eventIDs:)`.
    private var results: [WriteResult?] = []
    /// For each of `events`, the index of the report that left it.
    private var eventOwners: [Int] = []

    struct ProjectMention: Equatable {
        let id: UUID
        /// The variation count a payload reported, which only ever raises the project's.
        let variations: Int?
        let at: Date
    }

    struct Announcement {
        let type: MessageType
        let generation: GenerationRecord
        let at: Date
    }

    /// Adds one report about `found` (nil: no generation matched its locator); its result comes from `results(eventIDs:)`
    /// once the plan is carried out: nil when it writes nothing (no such generation, or a callback token past its
    /// retention). `stored`: the row as read, when the caller changed `found` before the report (a submission's
    /// answer); the row is written only when it differs. `keptBefore(generation, limit)`: the unapplied callbacks the
    /// store holds for that generation, counted up to `limit`; asked only when needed.
    mutating func add(_ report: StatusReport, about found: GenerationRecord?, storedAs stored: GenerationRecord? = nil,
                      keptBefore: (Int64, Int) throws -> Int) throws {
        results.append(try decide(report, about: found, storedAs: stored, keptBefore: keptBefore))
    }

    private mutating func decide(_ report: StatusReport, about found: GenerationRecord?, storedAs given: GenerationRecord?,
                                 keptBefore: (Int64, Int) throws -> Int) throws -> WriteResult? {
        guard let found else { return nil }
        let current = found.id.flatMap { rows[$0] } ?? found
        let stored = given ?? current
        if let retention = report.retention, current.tokenExpired(at: report.receivedAt, after: retention.tokenTTL) { return nil }
        let row = try current.requireID()
        if report.source == .poll { polled.insert(row) }
        var generation = current
        var decision = try ReportDecision(report, about: generation)
        if let payload = decision.payload { noteIdentity(of: &generation, from: payload, at: report.receivedAt) }
        decision.change(&generation)
        if decision.writesRow(generation, storedAs: stored) {
            generation.updatedAt = report.receivedAt
            save(&generation, changeFrom: decision.before, outcome: decision.event.outcome, at: report.receivedAt)
        }
        if let retention = decision.retention {
            let kept = try keptBefore(row, retention.rejectedEvents) + keptHere[row, default: 0]
            guard decision.keep(keptAlready: kept, within: retention) else { return decision.result(generation) }
            keptHere[row, default: 0] += 1
        }
        eventOwners.append(results.count)
        events.append(decision.event)
        return decision.result(generation)
    }

    /// Adds a local decision (REJECTED, LOST, an unknown submission outcome) about `found`, or a poll that got no
    /// usable answer (counted, and rescheduled at `nextPollAt` while the generation is pending).
    mutating func add(_ decision: LocalDecision, about found: GenerationRecord, at date: Date, nextPollAt: Date?) throws {
        let failedPoll = decision.failedPoll
        var generation = found.id.flatMap { rows[$0] } ?? found
        let row = try generation.requireID()
        // The poller's own decisions end the lease it claimed the generation under.
        if decision.source == .poll || decision.source == .giveup { polled.insert(row) }
        if failedPoll { generation.notePoll(at: date, answered: false) }
        let before = generation.status
        let outcome = decision.outcome(current: before)
        if decision.writesRow(outcome, current: before) {
            decision.change(&generation, at: date, nextPollAt: failedPoll && !before.isPending ? nil : nextPollAt)
            save(&generation, changeFrom: before, outcome: outcome, at: date)
            if decision.releasesIdempotencyKey, let key = generation.idempotencyKey { releasedKeys.append((key, row)) }
        }
        let event = decision.event(about: row, outcome: outcome, before: before, at: date)
        eventOwners.append(results.count)
        events.append(event)
        results.append(WriteResult(outcome: outcome, violation: nil, generation: generation, event: event))
    }

    /// A submission's accepted answer about `stored` (read, and locked where the engine locks): the generation's
    /// upstream ids and project, the project's variation count, the quota reading (and `quota.low` when it is the
    /// fall to the threshold), then the answer as a status report. `facts`: what the store read for it.
    mutating func add(accepted answer: SubmissionAnswer, about stored: GenerationRecord, facts: AcceptanceFacts, policy: OutboxPolicy,
                      at date: Date, firstPollAt: Date) throws {
        if let other = facts.rowWithGenerationID, other != stored.id { throw StoreError.generationIDTaken(answer.generationID) }
        var generation = stored
        generation.accept(answer, at: date)
        if let projectID = answer.project(of: stored) {
            generation.projectID = projectID
            // Counted, not incremented: a callback that beat this answer may already have raised the count to what
            // upstream reports, this variation included.
            let variations = stored.kind == .variation ? facts.launchedVariations + 1 : nil
            projects.append(ProjectMention(id: projectID, variations: variations, at: date))
        }
        quotaReadings.append(QuotaRecord(recordedAt: date, remainingPhotos: answer.remainingPhotos, generation: generation.id))
        if let view = policy.quotaLow(answer.remainingPhotos, after: facts.previousRemaining, of: generation, at: date) {
            notices.append(try Outbox.quotaLowMessage(view, at: date))
        }
        try add(.accepted(answer, at: date, firstPollAt: firstPollAt), about: generation, storedAs: stored) { _, _ in 0 }
    }

    /// What each report did, in the order they were added, with the ids the store gave their events (in the order
    /// of `events`).
    func results(eventIDs: [Int64]) -> [WriteResult?] {
        var results = results
        for (owner, id) in zip(eventOwners, eventIDs) { results[owner]?.event.id = id }
        return results
    }

    /// The one result of a plan holding one write about a generation it found, with its event's id.
    func onlyResult(eventIDs: [Int64]) throws -> WriteResult {
        guard let result = results(eventIDs: eventIDs).first ?? nil else { throw StoreError.generationNotFound }
        return result
    }

    /// Learns the upstream ids and the project's variation count a payload carries.
    private mutating func noteIdentity(of generation: inout GenerationRecord, from payload: RetrievalPayload, at date: Date) {
        if generation.generationID == nil, let id = payload.generationID { generation.generationID = id }
        if generation.projectID == nil, let id = payload.projectID {
            projects.append(ProjectMention(id: id, variations: nil, at: date))
            generation.projectID = id
        }
        if let count = payload.variations {
            generation.variations = count
            if let projectID = generation.projectID { projects.append(ProjectMention(id: projectID, variations: count, at: date)) }
        }
    }

    /// The row; when `outcome` applied a change of state (from `before`), its message and the version that message
    /// carries, and, for SUCCEEDED, the archive's queue of its result images.
    private mutating func save(_ generation: inout GenerationRecord, changeFrom before: GenerationState, outcome: EventOutcome, at date: Date) {
        let announced = outcome == .applied && generation.status != before
        if announced { generation.version += 1 }
        guard let row = generation.id else { return }
        rows[row] = generation
        guard announced else { return }
        if generation.status == .succeeded {
            for (position, url) in (generation.images ?? []).enumerated() {
                images.append(.queued(generation: row, position: position, sourceURL: url, at: date))
            }
        }
        announcements.append(Announcement(type: MessageType.change(to: generation.status), generation: generation, at: date))
    }

    /// The generations whose rows the plan writes, in id order: the order rows are locked and written in.
    var changedRows: [GenerationRecord] { rows.keys.sorted().compactMap { rows[$0] } }

    /// The project mentions in id order, one per project: created if missing, its count raised to the highest.
    var projectsByID: [ProjectMention] {
        Dictionary(grouping: projects, by: \.id).values.map { mentions in
            ProjectMention(id: mentions[0].id, variations: mentions.compactMap(\.variations).max(), at: mentions.map(\.at).max() ?? mentions[0].at)
        }.sorted { $0.id.uuidString < $1.id.uuidString }
    }
}

/// What a store reads before a submission's accepted answer is decided (`ReportPlan.add(accepted:)`).
struct AcceptanceFacts {
    /// The row already holding the answer's generation id, if any: another one is a conflict.
    var rowWithGenerationID: Int64?
    /// The variations of `SubmissionAnswer.variationProject(of:)` launched before this one (rows with a generation
    /// id, this one excepted); 0 when the generation is no variation.
    var launchedVariations = 0
    /// The last `remaining_photos` reading, if any.
    var previousRemaining: Int?
}

extension SubmissionAnswer {
    /// The project the answer puts `stored` in.
    func project(of stored: GenerationRecord) -> UUID? { projectID ?? stored.projectID }

    /// The project whose launched variations are a fact to read: `stored`'s, when it is a variation.
    func variationProject(of stored: GenerationRecord) -> UUID? { stored.kind == .variation ? project(of: stored) : nil }
}
