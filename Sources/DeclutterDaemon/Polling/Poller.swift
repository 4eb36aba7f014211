import DeclutterAPI
import DeclutterStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The polling fallback (docs/callbacks-and-polling.md): sleeps until the nearest `next_poll_at` or a wake-up, polls what is
/// due within the daemon's bounds (in flight, per second), and resumes from the database alone.
public final class Poller: Service, Sendable {
    let database: any Store
    let client: DeclutterClient
    let schedule: PollSchedule
    let metrics: DaemonMetrics
    let watch: GenerationWatch
    let readiness: Readiness
    let logger: Logger
    let clock: DaemonClock
    /// Woken by the submitter, a track or a refresh, and by each poll's end (not by the outbox's commits); a stop lets
    /// the polls in flight end.
    private let loop: CommitDrivenLoop
    private let inFlight = Mutex<Set<Int64>>([])
    private let pacer: Pacer
    /// The longest the loop sleeps without looking at the database again.
    static let maximumNap: Duration = .seconds(60)

    init(database: any Store, client: DeclutterClient, schedule: PollSchedule, metrics: DaemonMetrics, watch: GenerationWatch,
         readiness: Readiness, logger: Logger, clock: DaemonClock) {
        self.database = database
        self.client = client
        self.schedule = schedule
        self.metrics = metrics
        self.watch = watch
        self.readiness = readiness
        self.logger = logger
        self.clock = clock
        self.loop = CommitDrivenLoop(commits: nil, clock: clock, finishing: true)
        self.pacer = Pacer(perSecond: schedule.configuration.maxPerSecond, clock: clock)
    }

    /// The date now, by the daemon's clock.
    func now() -> Date { clock.date() }

    /// Polls running now.
    public var pollsInFlight: Int { inFlight.withLock { $0.count } }

    /// Look at the database again now (a new submission, a track, a refresh).
    public func wake() { loop.wake() }

    public func run() async {
        await loop.run { group, date in
            // Something started: look again at once (more may be due, and there may be room); else nap.
            await startDuePolls(at: date, in: &group) ? .zero : await nap(from: date)
        }
    }

    /// Starts the due polls there is room for; false when nothing could start.
    private func startDuePolls(at date: Date, in group: inout DiscardingTaskGroup) async -> Bool {
        let room = schedule.configuration.maxInFlight - pollsInFlight
        guard room > 0 else { return false }
        let busy = inFlight.withLock { $0 }
        let due: [GenerationRecord]
        do {
            // Claimed (PostgreSQL leases them): exactly as many as will start, none of those in flight.
            due = try await database.claimDueGenerations(at: date, excluding: busy, limit: room)
        } catch {
            logger.error("cannot read due generations", metadata: ["error": "\(error)"])
            return false
        }
        for generation in due.prefix(room) {
            guard let row = generation.id else { continue }
            do { try await pacer.waitForTurn() } catch { return true }  // cancelled: the loop ends
            inFlight.withLock { _ = $0.insert(row) }
            metrics.pollsInFlight(pollsInFlight)
            group.addTask { [self] in
                await poll(generation)
                inFlight.withLock { _ = $0.remove(row) }
                metrics.pollsInFlight(pollsInFlight)
                wake()
            }
        }
        return !due.isEmpty
    }

    /// The nap that follows a look at `date`: until the nearest poll date (at least a millisecond, never more than
    /// `maximumNap`).
    private func nap(from date: Date) async -> Duration {
        // A poll in flight keeps its past date until it is written; it wakes the loop when done.
        let busy = inFlight.withLock { $0 }
        guard busy.count < schedule.configuration.maxInFlight, let next = try? await database.nextPollDate(excluding: busy) else {
            return Self.maximumNap
        }
        return min(CommitDrivenLoop.nap(until: next, now: date), Self.maximumNap)
    }

    /// Polls one generation now and returns it as stored afterwards (`refresh`); when a poll of it is
    /// already in flight, that one stands for this.
    public func pollNow(row: Int64) async throws -> GenerationRecord? {
        guard let generation = try await database.generation(.row(row)) else { return nil }
        let claimed = inFlight.withLock { $0.insert(row).inserted }
        if claimed {
            try? await pacer.waitForTurn()
            await poll(generation)
            inFlight.withLock { _ = $0.remove(row) }
            wake()
        }
        return try await database.generation(.row(row))
    }

    /// One retrieval call and what it changes, recorded in the store.
    func poll(_ generation: GenerationRecord) async {
        guard let row = generation.id else { return }
        defer { watch.changed(row: row) }
        guard let generationID = generation.generationID else { return await awaitIdentity(generation, row: row) }
        let logger = self.logger.with(generationID: generationID)
        do {
            if generation.status.isPending, schedule.isExpired(createdAt: generation.createdAt, now: now()) {
                _ = try await database.markLost(row: row, reason: "no terminal state within give_up_after", at: now())
                metrics.poll(.lost)
                logger.warning("generation lost: no terminal state within give_up_after")
                return
            }
            do {
                let answer = try await client.retrieve(generationID)
                readiness.credentialsAccepted()
                let received = now()
                let report = StatusReport(
                    source: .poll, receivedAt: received, httpStatus: answer.httpStatus, rawBody: answer.rawBody, payload: answer.payload,
                    rescheduleIfPending: .exactly(schedule.afterAnswer(attempt: generation.pollAttempts + 1, now: received, random: .random(in: -1...1))))
                guard let result = try await database.apply(report, to: .row(row)) else { return }
                metrics.poll(PollResult(result.outcome))
                if result.outcome == .conflict { metrics.conflict(source: .poll) }
                logger.info("polled", metadata: ["status": "\(result.generation.status.rawValue)", "outcome": "\(result.outcome.rawValue)"])
            } catch let error as UpstreamError {
                try await recordFailure(error, of: generation, row: row, logger: logger)
            }
        } catch {
            logger.error("poll not recorded", metadata: ["error": "\(error)"])
        }
    }

    /// A submission whose upstream id never came (outcome unknown, or cut short by a stop): nothing to ask
    /// upstream about. Its poll date is its give-up time; then it is LOST, unless a callback told us its id.
    private func awaitIdentity(_ generation: GenerationRecord, row: Int64) async {
        let logger = self.logger.with(row: row)
        do {
            if schedule.isExpired(createdAt: generation.createdAt, now: now()) {
                _ = try await database.markLost(row: row, reason: "no upstream generation_id (submission outcome unknown) within give_up_after", at: now())
                metrics.poll(.lost)
                logger.warning("submission lost: its outcome never became known")
            } else {
                let giveUp = generation.createdAt + schedule.configuration.giveUpAfter.seconds
                _ = try await database.recordPollFailure(row: row, httpStatus: nil, reason: "no upstream generation_id to poll yet",
                                                         rawBody: nil, at: now(), nextPollAt: giveUp)
            }
        } catch {
            logger.error("poll not recorded", metadata: ["error": "\(error)"])
        }
    }

    private func recordFailure(_ error: UpstreamError, of generation: GenerationRecord, row: Int64, logger: Logger) async throws {
        let failedAt = now()
        if error.isCredentialProblem { readiness.credentialsRejected(error.description) }
        let notFound = error.httpStatus == 400 || error.httpStatus == 404
        let notFoundRun = notFound ? try await database.consecutiveNotFound(row: row) + 1 : 0
        if notFound, schedule.isGone(consecutiveNotFound: notFoundRun) {
            _ = try await database.markLost(row: row, reason: "upstream answered HTTP \(error.httpStatus ?? 0) \(notFoundRun) times running", at: failedAt)
            metrics.poll(.lost)
            logger.warning("generation lost: upstream does not know it")
            return
        }
        let next = schedule.afterFailure(error, attempt: generation.pollAttempts + 1, createdAt: generation.createdAt, now: failedAt,
                                         random: .random(in: -1...1))
        _ = try await database.recordPollFailure(row: row, httpStatus: error.httpStatus, reason: error.description, rawBody: nil, at: failedAt, nextPollAt: next)
        metrics.poll(PollResult(error))
        logger.notice("poll failed", metadata: ["error": "\(error)", "next_poll_at": "\(StoreFormat.timestamp(next))"])
    }
}

/// Spaces poll starts to at most `perSecond`, for the loop and `refresh` alike: each caller reserves the
/// next free turn, then sleeps until it.
final class Pacer: Sendable {
    let interval: Duration
    private let clock: DaemonClock
    private let nextTurn: Mutex<DaemonClock.Instant>

    init(perSecond: Double, clock: DaemonClock) {
        interval = .nanoseconds(Int64(1e9 / max(perSecond, 0.001)))
        self.clock = clock
        nextTurn = Mutex(clock.now)
    }

    func waitForTurn() async throws {
        let turn = nextTurn.withLock { next in
            let turn = max(clock.now, next)
            next = turn.advanced(by: interval)
            return turn
        }
        if turn > clock.now { try await clock.sleep(until: turn) }
    }
}

extension Logger {
    func with(generationID: UUID) -> Logger {
        var logger = self
        logger[metadataKey: "generation_id"] = "\(StoreFormat.uuid(generationID))"
        return logger
    }
}
