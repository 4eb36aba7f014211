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
    private struct Slot {
        var fired = false
        var continuation: CheckedContinuation<Void, Never>?
    }

    private struct State {
        var slots: [Int64: [UInt64: Slot]] = [:]
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

    /// Forgets changes seen so far: the next `wait` waits for a new one (unless the daemon is stopping).
    func rearm(_ subscription: Subscription) {
        state.withLock { state in
            guard !state.stopping, state.slots[subscription.row]?[subscription.id] != nil else { return }
            state.slots[subscription.row]?[subscription.id]?.fired = false
        }
    }

    /// A new subscription, or nil when `capacity` are already held.
    func subscribe(row: Int64) -> Subscription? {
        state.withLock { state in
            guard state.count < capacity else { return nil }
            state.nextID += 1
            state.count += 1
            state.slots[row, default: [:]][state.nextID] = Slot(fired: state.stopping)
            return Subscription(row: row, id: state.nextID)
        }
    }

    func changed(row: Int64) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard var slots = state.slots[row] else { return [] }
            var ready: [CheckedContinuation<Void, Never>] = []
            for (id, slot) in slots {
                if let continuation = slot.continuation { ready.append(continuation) }
                slots[id] = Slot(fired: true)
            }
            state.slots[row] = slots
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Ends every wait now and every later one at once: the daemon is stopping.
    func stopWaiting() {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.stopping = true
            var ready: [CheckedContinuation<Void, Never>] = []
            for (row, slots) in state.slots {
                for (id, slot) in slots {
                    if let continuation = slot.continuation { ready.append(continuation) }
                    state.slots[row]?[id] = Slot(fired: true)
                }
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once the subscribed generation has changed (since `subscribe`), at `deadline`, when the daemon
    /// stops, or on cancellation; the subscription stays held until `end`.
    func wait(_ subscription: Subscription, until deadline: DaemonClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.changeOrCancel(subscription) }
            group.addTask { try? await self.clock.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    private func changeOrCancel(_ subscription: Subscription) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    guard let slot = state.slots[subscription.row]?[subscription.id], !slot.fired, !Task.isCancelled else { return true }
                    state.slots[subscription.row]?[subscription.id]?.continuation = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let slot = state.slots[subscription.row]?[subscription.id] else { return nil }
                state.slots[subscription.row]?[subscription.id] = Slot(fired: true)
                return slot.continuation
            }
            continuation?.resume()
        }
    }

    /// Gives the subscription's place back.
    func end(_ subscription: Subscription) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let slot = state.slots[subscription.row]?.removeValue(forKey: subscription.id) else { return nil }
            state.count -= 1
            if state.slots[subscription.row]?.isEmpty == true { state.slots[subscription.row] = nil }
            return slot.continuation
        }
        continuation?.resume()
    }
}
