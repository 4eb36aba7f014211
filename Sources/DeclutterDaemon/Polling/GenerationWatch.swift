import Foundation
import Synchronization

/// Lets requests wait for a generation to change (`GET /v1/generations/{id}?wait=`): every write that changes
/// a generation calls `changed(row:)`, which wakes all of that generation's waiters at once. Subscribe first,
/// then read, then wait, so a change between the read and the wait is not missed.
///
/// Waiting is bounded: at most `capacity` subscriptions at once (a request beyond it is refused), each wait
/// ends at its deadline on the daemon's clock, and `stopWaiting()` (the daemon is stopping) ends every wait at
/// once and every later one immediately, so each waiter is answered with the record as it stands.
final class GenerationWatch: Sendable {
    private struct State {
        /// Each generation's subscriptions, each with its own wake-up.
        var signals: [Int64: [UInt64: WakeSignal]] = [:]
        var count = 0
        var nextID: UInt64 = 0
        var stopping = false
    }

    /// One pending interest in a generation.
    struct Subscription: Sendable, Equatable {
        let row: Int64
        let id: UInt64
    }

    private let state = Mutex(State())
    let clock: DaemonClock
    /// Subscriptions allowed at once.
    let capacity: Int

    init(clock: DaemonClock, capacity: Int = 256) {
        self.clock = clock
        self.capacity = capacity
    }

    /// Subscriptions held now.
    var waiting: Int { state.withLock { $0.count } }

    /// True once the daemon is stopping.
    var isStopping: Bool { state.withLock { $0.stopping } }

    private func signal(_ subscription: Subscription) -> WakeSignal? {
        state.withLock { $0.signals[subscription.row]?[subscription.id] }
    }

    /// Forgets changes seen so far: the next `wait` waits for a new one (unless the daemon is stopping).
    func rearm(_ subscription: Subscription) {
        signal(subscription)?.rearm()
    }

    /// A new subscription, or nil when `capacity` are already held.
    func subscribe(row: Int64) -> Subscription? {
        state.withLock { state in
            guard state.count < capacity else { return nil }
            state.nextID += 1
            state.count += 1
            state.signals[row, default: [:]][state.nextID] = WakeSignal(clock: clock, stopped: state.stopping)
            return Subscription(row: row, id: state.nextID)
        }
    }

    func changed(row: Int64) {
        for signal in state.withLock({ Array(($0.signals[row] ?? [:]).values) }) { signal.signal() }
    }

    /// Ends every wait now and every later one at once: the daemon is stopping.
    func stopWaiting() {
        let signals = state.withLock { state in
            state.stopping = true
            return state.signals.values.flatMap(\.values)
        }
        for signal in signals { signal.stop() }
    }

    /// Returns once the subscribed generation has changed (since `subscribe` or `rearm`), at `deadline`, when the
    /// daemon stops, or on cancellation; the subscription stays held until `end`.
    func wait(_ subscription: Subscription, until deadline: DaemonClock.Instant) async {
        await signal(subscription)?.wait(until: deadline)
    }

    /// Gives the subscription's place back.
    func end(_ subscription: Subscription) {
        let signal = state.withLock { state -> WakeSignal? in
            guard let signal = state.signals[subscription.row]?.removeValue(forKey: subscription.id) else { return nil }
            state.count -= 1
            if state.signals[subscription.row]?.isEmpty == true { state.signals[subscription.row] = nil }
            return signal
        }
        signal?.signal()
    }
}
