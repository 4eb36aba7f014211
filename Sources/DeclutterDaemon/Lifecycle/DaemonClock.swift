import DeclutterAPI
import Foundation

/// The daemon's time, injected: every sleep, timeout and deadline goes through `Clock` (a continuous clock in
/// production, a manual one in tests), and `date()` gives the wall-clock dates that are stored.
///
/// Any `Clock<Duration>` can drive it; its instants are offsets from the moment it was made, so one type
/// serves the daemon whatever clock is underneath.
public struct DaemonClock: Clock, Sendable {
    public struct Instant: InstantProtocol, Sendable {
        /// Time since the clock was made.
        public var offset: Duration

        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let elapsed: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration, Duration?) async throws -> Void
    private let dateNow: @Sendable () -> Date

    /// Driven by `clock`; dates come from `date` (by default: the wall clock).
    public init<Underlying: Clock<Duration>>(_ clock: Underlying, date: @escaping @Sendable () -> Date = Date.init) {
        let origin = clock.now
        elapsed = { origin.duration(to: clock.now) }
        sleeper = { offset, tolerance in try await clock.sleep(until: origin.advanced(by: offset), tolerance: tolerance) }
        dateNow = date
    }

    /// Driven by `clock`, with dates that move with it from `start`: for tests on a manual clock.
    public static func following<Underlying: Clock<Duration>>(_ clock: Underlying, from start: Date) -> DaemonClock {
        let origin = clock.now
        return DaemonClock(clock) { start + origin.duration(to: clock.now).seconds }
    }

    /// Production: the continuous clock and the wall clock.
    public static var system: DaemonClock { DaemonClock(ContinuousClock()) }

    public var now: Instant { Instant(offset: elapsed()) }
    public var minimumResolution: Duration { .nanoseconds(1) }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try await sleeper(deadline.offset, tolerance)
    }

    /// The date to store for something happening now.
    public func date() -> Date { dateNow() }
}
