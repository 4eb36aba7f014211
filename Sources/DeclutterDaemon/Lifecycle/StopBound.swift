import DeclutterWire
import Logging
import ServiceLifecycle

/// Bounds a graceful stop on the daemon's clock: within the unit's TimeoutStopSec=30, whatever still runs
/// `limit` after the stop began (a long `?wait=`, a poll stuck on the network) is cancelled.
///
/// Its service is last in the ServiceGroup, so it hears the stop first; `run(_:)` runs the group beside the
/// timer that this starts.
struct StopBound: Sendable {
    static let standardLimit: Duration = .seconds(20)

    let clock: DaemonClock
    let limit: Duration
    private let began: AsyncStream<Void>
    private let announce: AsyncStream<Void>.Continuation
    private let onStop: @Sendable () -> Void

    /// `onStop` runs as soon as the stop begins (the daemon answers its waiting requests).
    init(clock: DaemonClock, limit: Duration = Self.standardLimit, onStop: @escaping @Sendable () -> Void = {}) {
        self.clock = clock
        self.limit = limit
        self.onStop = onStop
        (began, announce) = AsyncStream.makeStream()
    }

    /// The service that hears the stop first and starts the clock.
    var service: some Service { Announcer(announce: announce, onStop: onStop) }

    /// Runs `group` until it ends; once a stop has begun and `limit` has passed, cancels it and logs what happened.
    func run(_ group: ServiceGroup, logger: Logger) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask {
                try await group.run()
                return true
            }
            tasks.addTask { [began, clock, limit] in
                for await _ in began { break }
                try await clock.sleep(for: limit)
                return false
            }
            let finished = try await tasks.next() ?? true
            if !finished {
                logger.error("the graceful stop took longer than its bound; cancelling what still runs",
                             metadata: ["bound": "\(DurationText.format(limit))"])
            }
            tasks.cancelAll()
        }
    }

    private struct Announcer: Service {
        let announce: AsyncStream<Void>.Continuation
        let onStop: @Sendable () -> Void

        func run() async throws {
            try? await gracefulShutdown()
            onStop()
            announce.yield()
            announce.finish()
        }
    }
}
