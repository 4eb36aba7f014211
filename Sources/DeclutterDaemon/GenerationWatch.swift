import Foundation
import Synchronization

/// Lets a request wait for a generation to change (`GET /v1/generations/{id}?wait=`): every write
/// that changes a generation calls `changed(row:)`. Subscribe first, then read, then wait, so a change
/// between the read and the wait is not missed.
final class GenerationWatch: Sendable {
    private struct Slot {
        var fired = false
        var continuation: CheckedContinuation<Void, Never>?
    }

    private struct State {
        var slots: [Int64: [UInt64: Slot]] = [:]
        var nextID: UInt64 = 0
    }

    /// One pending interest in a generation.
    struct Subscription: Sendable {
        let row: Int64
        let id: UInt64
    }

    private let state = Mutex(State())
    let clock: DaemonClock

    init(clock: DaemonClock) {
        self.clock = clock
    }

    func subscribe(row: Int64) -> Subscription {
        state.withLock { state in
            state.nextID += 1
            state.slots[row, default: [:]][state.nextID] = Slot()
            return Subscription(row: row, id: state.nextID)
        }
    }

    func changed(row: Int64) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard var slots = state.slots[row] else { return [] }
            var ready: [CheckedContinuation<Void, Never>] = []
            for (id, slot) in slots {
                if let continuation = slot.continuation {
                    ready.append(continuation)
                    slots[id] = nil
                } else {
                    slots[id]?.fired = true
                }
            }
            state.slots[row] = slots.isEmpty ? nil : slots
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once the subscribed generation has changed, or after `timeout`; ends the subscription.
    func wait(_ subscription: Subscription, timeout: Duration) async {
        let timer = Task { [weak self, clock] in
            do {
                try await clock.sleep(for: timeout)
                self?.end(subscription)
            } catch {}
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    guard let slot = state.slots[subscription.row]?[subscription.id], !slot.fired else {
                        state.slots[subscription.row]?[subscription.id] = nil
                        if state.slots[subscription.row]?.isEmpty == true { state.slots[subscription.row] = nil }
                        return true
                    }
                    state.slots[subscription.row]?[subscription.id]?.continuation = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            end(subscription)
        }
        timer.cancel()
    }

    /// Ends a subscription (a later `wait` on it returns at once), resuming its waiter if there is one.
    func end(_ subscription: Subscription) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            let slot = state.slots[subscription.row]?.removeValue(forKey: subscription.id)
            if state.slots[subscription.row]?.isEmpty == true { state.slots[subscription.row] = nil }
            return slot?.continuation
        }
        continuation?.resume()
    }
}
