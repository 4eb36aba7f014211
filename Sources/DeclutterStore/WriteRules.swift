import DeclutterAPI
import Foundation

// The decisions of the write paths, as values: what a report or a local decision does to a generation and which
// event it leaves. Each backend reads and writes the rows its own way around them (AppDatabase+Reports and
// +Submissions on SQLite, PostgresStore+Reports on PostgreSQL); the rules live here once.

/// What a status report (callback, poll answer, submission answer) does to the generation it names.
struct ReportDecision {
    let report: StatusReport
    let before: GenerationState
    /// The event it leaves; its `rawBody` and `reason` may still be cut by `keep`.
    var event: EventRecord
    /// The rule the payload broke, if it broke one.
    let violation: PayloadViolation?
    /// A valid payload: the caller notes its identity (ids, project, variations) with its own writes.
    let payload: RetrievalPayload?

    init(_ report: StatusReport, about generation: GenerationRecord) throws {
        self.report = report
        before = generation.status
        event = EventRecord(
            generation: try generation.requireID(), source: report.source, receivedAt: report.receivedAt,
            httpStatus: report.httpStatus, rawBody: RawBody(report.rawBody), outcome: .rejected, statusBefore: before)
        switch report.payload.flatMap({ $0.checked(against: generation.generationID) }) {
        case .failure(let broken):
            violation = broken
            payload = nil
            event.reason = broken.description
        case .success(let valid):
            violation = nil
            payload = valid
            event.statusReported = valid.status
            event.outcome = StatusTransition.outcome(current: before, reported: valid.status)
            if event.outcome == .conflict { event.reason = "reported \(valid.status.rawValue) while \(before.rawValue)" }
        }
    }

    /// An invalid callback is no news about the generation: it must not put off its fallback poll, nor touch its
    /// row at all; only its event is written.
    private var touchesRow: Bool { violation == nil || report.source == .poll }

    /// The state, results, poll counts and poll date the report brings.
    func change(_ generation: inout GenerationRecord) {
        if event.outcome == .applied, let payload { generation.take(payload, from: report.source, at: report.receivedAt) }
        if report.source == .poll { generation.notePoll(at: report.receivedAt, answered: violation == nil) }
        if touchesRow { generation.reschedule(report.rescheduleIfPending) }
    }

    /// Whether the row is written: a report that changes nothing (a duplicate of a final state, say) leaves it.
    func writesRow(_ generation: GenerationRecord, storedAs stored: GenerationRecord) -> Bool {
        touchesRow && generation != stored
    }

    /// The retention that bounds this event's trail: a callback that changed nothing (invalid, duplicate, stale,
    /// conflict) is kept within it, in number and in size, so a leaked callback URL cannot fill the disk.
    var retention: CallbackRetention? { event.outcome != .applied ? report.retention : nil }

    /// Whether the event is kept, `kept` such events being kept already; cuts its body to the retention's size.
    mutating func keep(keptAlready kept: Int, within retention: CallbackRetention) -> Bool {
        guard kept < retention.rejectedEvents else { return false }
        event.rawBody = RawBody(report.rawBody.prefix(retention.rejectedBodyBytes))
        if report.rawBody.count > retention.rejectedBodyBytes {
            event.reason = [event.reason, "body cut to \(retention.rejectedBodyBytes) of \(report.rawBody.count) bytes"]
                .compactMap { $0 }.joined(separator: "; ")
        }
        return true
    }

    func result(_ generation: GenerationRecord) -> WriteResult {
        WriteResult(outcome: event.outcome, violation: violation, generation: generation, event: event)
    }
}

/// A local decision (REJECTED, LOST, an unknown submission outcome) or a failed poll.
struct LocalDecision {
    /// Upstream refused the submission: REJECTED, no photo spent, never polled; its Idempotency-Key is released.
    static func rejected(reason: String, httpStatus: Int?, rawBody: Data?) -> LocalDecision {
        LocalDecision(source: .submission, status: .rejected, reason: reason, httpStatus: httpStatus, rawBody: rawBody)
    }

    /// The submission was sent but its outcome is unknown: it stays SUBMITTING with the reason, polled (for its
    /// generation id) until it is given up.
    static func outcomeUnknown(reason: String, httpStatus: Int?) -> LocalDecision {
        LocalDecision(source: .submission, status: nil, reason: reason, httpStatus: httpStatus, rawBody: nil)
    }

    /// The poller gave up: LOST with the reason; a late callback or poll answer revives it.
    static func lost(reason: String) -> LocalDecision {
        LocalDecision(source: .giveup, status: .lost, reason: reason, httpStatus: nil, rawBody: nil)
    }

    /// A poll that got no usable answer (HTTP error, timeout): recorded, counted, rescheduled while pending.
    static func pollFailed(reason: String, httpStatus: Int?, rawBody: Data?) -> LocalDecision {
        LocalDecision(source: .poll, status: nil, reason: reason, httpStatus: httpStatus, rawBody: rawBody)
    }

    let source: EventSource
    /// The state decided, or nil when only the reason (and poll date) change.
    let status: GenerationState?
    let reason: String
    let httpStatus: Int?
    let rawBody: Data?

    /// Whether it is a poll that got no usable answer (`pollFailed`).
    var failedPoll: Bool { source == .poll && status == nil }

    /// A decision the generation has moved past (a callback came first, a terminal state was reached) is recorded
    /// as an event only: `conflict` for a refusal contradicted by upstream, `stale` otherwise.
    func outcome(current: GenerationState) -> EventOutcome {
        switch (status, source) {
        case (.rejected?, _): current == .submitting ? .applied : .conflict
        case (nil, .submission): current == .submitting ? .rejected : .stale
        case (.lost?, _): current.isPending ? .applied : .stale
        default: .rejected
        }
    }

    /// A failed poll of a generation no longer pending (LOST, terminal) is recorded, not written over it.
    func writesRow(_ outcome: EventOutcome, current: GenerationState) -> Bool {
        outcome == .applied || (outcome == .rejected && current.isPending)
    }

    func change(_ generation: inout GenerationRecord, at date: Date, nextPollAt: Date?) {
        if let status { generation.status = status }
        if status?.isFinal == true { generation.completedAt = date }
        generation.statusReason = reason
        generation.nextPollAt = nextPollAt
        generation.updatedAt = date
    }

    /// A refusal spent nothing: its Idempotency-Key is released, so a retry under it may try again.
    var releasesIdempotencyKey: Bool { status == .rejected }

    func event(about row: Int64, outcome: EventOutcome, before: GenerationState, at date: Date) -> EventRecord {
        EventRecord(generation: row, source: source, receivedAt: date, httpStatus: httpStatus,
                    rawBody: rawBody.map(RawBody.init), outcome: outcome, reason: reason, statusBefore: before)
    }
}

extension GenerationRecord {
    /// A submission as recorded before its upstream call.
    static func submitting(_ request: SubmissionRequest, at date: Date) -> GenerationRecord {
        var generation = GenerationRecord(kind: request.kind, status: .submitting, createdAt: date)
        generation.imageURL = request.imageURL
        generation.maskURL = request.maskURL
        generation.auto = request.auto
        generation.parentGenerationID = request.parentGenerationID
        generation.projectID = request.projectID
        generation.callbackTokenHash = request.callbackTokenHash
        generation.idempotencyKey = request.idempotencyKey
        generation.listingPhoto = request.listingPhoto
        generation.keyName = request.keyName
        return generation
    }

    /// A generation created elsewhere, adopted by `track`.
    static func tracked(_ generationID: UUID, at date: Date, firstPollAt: Date) -> GenerationRecord {
        var generation = GenerationRecord(kind: .tracked, status: .starting, createdAt: date)
        generation.generationID = generationID
        generation.submittedAt = date
        generation.nextPollAt = firstPollAt
        return generation
    }

    /// Takes what the upstream answer of its submission says (its project is the caller's to record).
    mutating func accept(_ answer: SubmissionAnswer, at date: Date) {
        generationID = answer.generationID
        remainingPhotos = answer.remainingPhotos
        submittedAt = date
        statusReason = nil
    }
}

extension StatusReport {
    /// A submission's upstream answer, applied as a report of STARTING: a callback that came first keeps the state
    /// it brought.
    static func accepted(_ answer: SubmissionAnswer, at date: Date, firstPollAt: Date) -> StatusReport {
        StatusReport(source: .submission, receivedAt: date, httpStatus: answer.httpStatus, rawBody: answer.rawBody,
                     payload: .success(RetrievalPayload(status: .starting)), rescheduleIfPending: .atLeast(firstPollAt))
    }
}

extension OutboxPolicy {
    /// `quota.low`'s data when a reading of `remaining` after `previous` is the fall to the threshold.
    func quotaLow(_ remaining: Int, after previous: Int?, of generation: GenerationRecord, at date: Date) -> QuotaLowView? {
        guard isFall(to: remaining, from: previous), let threshold = quotaLowThreshold else { return nil }
        return QuotaLowView(remainingPhotos: remaining, threshold: threshold,
                            generationID: generation.generationID.map(StoreFormat.uuid), recordedAt: StoreFormat.timestamp(date))
    }
}
