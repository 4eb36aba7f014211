import AsyncHTTPClient
import DeclutterStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Sends pending deliveries to their endpoints as signed webhooks (docs/delivery.md): starts the due ones
/// there is room for (`DeliverySlots`: hanging endpoints never take the healthy ones' slots), records each attempt with what the
/// schedule decides, and sleeps until the next due attempt, a commit, or an attempt's end. It never scans on a
/// timer, and keeps nothing the store does not: after a restart it carries on from the database.
public final class DeliveryWorker: Service, Sendable {
    let database: any Store
    let configuration: DeliveryConfiguration
    let schedule: DeliverySchedule
    let slots: DeliverySlots
    let metrics: DaemonMetrics
    let logger: Logger
    let clock: DaemonClock
    /// A draw in 0...1 that stretches each retry's wait.
    let jitter: @Sendable () -> Double
    private let loop: CommitDrivenLoop
    /// The deliveries being attempted, each with its endpoint.
    private let inFlight = Mutex<[Int64: Int64]>([:])
    /// How long the loop waits before reading the store again after a read failed.
    static let afterStoreError: Duration = .seconds(5)

    public init(database: any Store, configuration: DeliveryConfiguration, metrics: DaemonMetrics, logger: Logger,
                clock: DaemonClock, jitter: @escaping @Sendable () -> Double = { .random(in: 0...1) }) {
        self.database = database
        self.configuration = configuration
        self.schedule = DeliverySchedule(configuration)
        self.slots = DeliverySlots(maxInFlight: configuration.maxInFlight, maxPerEndpoint: configuration.maxPerEndpoint)
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        self.jitter = jitter
        self.loop = CommitDrivenLoop(commits: database.commits, clock: clock)
    }

    /// Attempts running now.
    public var attemptsInFlight: Int { inFlight.withLock { $0.count } }

    /// Runs until a graceful shutdown, which abandons the attempts in flight at once: their deliveries stay
    /// due and are attempted again after the restart (at least once), so a slow endpoint never holds the stop.
    public func run() async throws {
        let client = WebhookRequest.makeClient(configuration)
        let request = WebhookRequest(client: client, clock: clock, timeout: configuration.timeout)
        var turn = 0
        await loop.run { group, now in
            defer { turn &+= 1 }
            return await startDueAttempts(at: now, in: &group, request: request, turn: turn)
        }
        try await client.shutdown()
    }

    /// Starts the due attempts there is room for (`DeliverySlots`), endpoint by endpoint (beginning with a different
    /// one each `turn`, so that none waits behind the others for a free slot); returns how long to sleep afterwards
    /// (nil: until woken).
    private func startDueAttempts(at now: Date, in group: inout DiscardingTaskGroup, request: WebhookRequest, turn: Int) async -> Duration? {
        do {
            let endpoints = try await database.enabledEndpoints()
            let failing = Set(endpoints.filter { $0.failingSince != nil }.compactMap(\.id))
            let first = endpoints.isEmpty ? 0 : turn % endpoints.count
            for endpoint in endpoints[first...] + endpoints[..<first] {
                let (room, busy) = room(for: endpoint.id ?? 0, failing: failing, endpoints: endpoints.count)
                guard room > 0 else { continue }
                for due in try await database.dueDeliveries(to: endpoint, at: now, excluding: busy, limit: room) {
                    start(due, in: &group, request: request)
                }
            }
            let open = endpoints.compactMap(\.id).filter { room(for: $0, failing: failing, endpoints: endpoints.count).0 > 0 }
            return try await napLength(endpoints: open, from: now)
        } catch {
            logger.error("cannot read the deliveries due", metadata: ["error": "\(error)"])
            return Self.afterStoreError
        }
    }

    /// How many more attempts `endpoint` may have in flight now, and the deliveries in flight.
    private func room(for endpoint: Int64, failing: Set<Int64>, endpoints: Int) -> (Int, Set<Int64>) {
        inFlight.withLock { inFlight in
            let room = slots.room(own: inFlight.values.count { $0 == endpoint }, failing: failing.contains(endpoint), inFlight: inFlight.count,
                                  failingInFlight: inFlight.values.count { failing.contains($0) }, enabledEndpoints: endpoints)
            return (room, Set(inFlight.keys))
        }
    }

    private func start(_ due: DueDelivery, in group: inout DiscardingTaskGroup, request: WebhookRequest) {
        guard let id = due.delivery.id, let endpoint = due.endpoint.id else { return }
        inFlight.withLock { $0[id] = endpoint }
        group.addTask { [self] in
            await attempt(due, request: request)
            inFlight.withLock { _ = $0.removeValue(forKey: id) }
            loop.wake()
        }
    }

    /// Until the next attempt that could start: on the `open` endpoints (those with a free slot), deliveries not in
    /// flight. With no endpoint open, or nothing pending, nil: only a wake (an attempt's end, a commit) moves the loop,
    /// and nothing sleeps on the clock meanwhile.
    private func napLength(endpoints open: [Int64], from now: Date) async throws -> Duration? {
        guard !open.isEmpty else { return nil }
        let busy = inFlight.withLock { Set($0.keys) }
        guard let next = try await database.nextAttemptDate(endpoints: open, excluding: busy) else { return nil }
        return CommitDrivenLoop.nap(until: next, now: now)
    }

    /// One attempt, recorded with the verdict of the schedule; nothing is recorded when a stop cuts it short.
    func attempt(_ due: DueDelivery, request: WebhookRequest) async {
        guard let id = due.delivery.id else { return }
        let attemptedAt = clock.date()
        let started = clock.now
        guard let result = try? await request.send(due.message, to: due.endpoint, at: attemptedAt) else { return }
        let latency = started.duration(to: clock.now)
        let verdict = schedule.verdict(for: result.answer, roundAttempts: due.delivery.roundAttempts, at: attemptedAt, jitter: jitter())
        let report = AttemptReport(
            deliveryID: id, round: due.delivery.round, attemptedAt: attemptedAt, httpStatus: result.httpStatus,
            latencyMilliseconds: Int((latency.seconds * 1000).rounded()), response: result.response, error: result.error,
            verdict: verdict, disableIfFailingSince: attemptedAt - configuration.disableAfter.seconds)
        let logger = self.logger.with(due)
        do {
            let change = try await database.recordAttempt(report)
            metrics.delivery(DeliveryResult(verdict))
            log(verdict, result, logger: logger)
            if case .endpointDisabled(let reason) = change {
                metrics.endpointDisabled(verdict == .gone ? .gone : .failing)
                logger.warning("endpoint disabled", metadata: ["url": "\(due.endpoint.url)", "reason": "\(reason)"])
            }
        } catch {
            guard !Task.isCancelled else { return }
            logger.error("webhook attempt not recorded", metadata: ["error": "\(error)"])
            // The delivery is still due: holding the slot a while keeps a store that cannot write from
            // turning into a stream of POSTs to the endpoint.
            try? await clock.sleep(for: configuration.timeout)
        }
    }

    private func log(_ verdict: AttemptVerdict, _ result: WebhookRequest.Result, logger: Logger) {
        var metadata: Logger.Metadata = [:]
        if let status = result.httpStatus { metadata["http_status"] = "\(status)" }
        if let error = result.error { metadata["error"] = "\(error)" }
        switch verdict {
        case .delivered:
            logger.debug("webhook delivered", metadata: metadata)
        case .retry(let date):
            metadata["next_attempt_at"] = "\(StoreFormat.timestamp(date))"
            logger.notice("webhook attempt failed", metadata: metadata)
        case .failed, .gone:
            logger.warning("webhook failed: no attempt left", metadata: metadata)
        }
    }
}

extension Logger {
    /// With the delivery's endpoint and webhook id (never its secret).
    func with(_ due: DueDelivery) -> Logger {
        var logger = self
        logger[metadataKey: "endpoint"] = "\(due.endpoint.id ?? 0)"
        logger[metadataKey: "webhook_id"] = "\(due.message.webhookID)"
        return logger
    }
}
