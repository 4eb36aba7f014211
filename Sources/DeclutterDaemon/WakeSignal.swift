import Synchronization

/// The one wake-up the daemon's waits share: a loop's nap (the poller, the delivery worker, the archiver), an event
/// stream between its writes (`EventStreams`), a `?wait=` request (`GenerationWatch`). `signal()` ends the current
/// wait, or the next one when nobody waits; `stop()` ends every wait, now and later, for good (the daemon stops, the
/// client went away). One task waits for a signal at a time, and one more may wait for the stop alone.
final class WakeSignal: Sendable {
    private struct State {
        /// A signal (or the stop) that no wait has returned on yet.
        var pending = false
        var stopped = false
        var waiter: CheckedContinuation<Void, Never>?
        /// Waits for the stop only (an event stream's write in progress).
        var stopWaiter: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>
    private let clock: DaemonClock

    init(clock: DaemonClock, stopped: Bool = false) {
        self.clock = clock
        state = Mutex(State(pending: stopped, stopped: stopped))
    }

    /// True once `stop()` was called.
    var isStopped: Bool { state.withLock { $0.stopped } }

    func signal() {
        let waiter = state.withLock { state in
            state.pending = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Ends every wait, now and later.
    func stop() {
        let waiters = state.withLock { state in
            state.pending = true
            state.stopped = true
            defer { (state.waiter, state.stopWaiter) = (nil, nil) }
            return [state.waiter, state.stopWaiter]
        }
        for waiter in waiters { waiter?.resume() }
    }

    /// Forgets the signals sent so far (never the stop): call it before looking, so that only a signal after the look
    /// ends the next wait.
    func rearm() {
        state.withLock { state in
            if !state.stopped { state.pending = false }
        }
    }

    /// Returns true on a signal (one sent since the last wait or `rearm` counts) or the stop, false at `timeout`
    /// (counted from this call; nil: none) or on cancellation. Without a timeout, nothing sleeps on the clock.
    @discardableResult
    func wait(timeout: Duration?) async -> Bool {
        await wait(until: timeout.map { clock.now.advanced(by: $0) })
    }

    /// The same, until `deadline` on the clock: an instant, not a length, so a wait that starts late (a busy machine)
    /// or a clock that moved meanwhile never stretches it. A signal is used up by the wait that returns after it.
    @discardableResult
    func wait(until deadline: DaemonClock.Instant?) async -> Bool {
        await race(deadline) { await $0.resumed(stopOnly: false) }
        return state.withLock { state in
            defer { if !state.stopped { state.pending = false } }
            return state.pending
        }
    }

    /// Returns true once stopped, false at `deadline` on the clock or on cancellation.
    func waitForStop(until deadline: DaemonClock.Instant) async -> Bool {
        await race(deadline) { await $0.resumed(stopOnly: true) }
        return isStopped
    }

    /// Runs `wait` until it returns, `deadline` passes (its timer is gone once this returns), or cancellation.
    private func race(_ deadline: DaemonClock.Instant?, _ wait: @escaping @Sendable (WakeSignal) async -> Void) async {
        guard let deadline else { return await wait(self) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await wait(self) }
            group.addTask { [clock] in try? await clock.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns once signalled (`stopOnly`: stopped), at once when that happened already, or on cancellation.
    private func resumed(stopOnly: Bool) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    guard !(stopOnly ? state.stopped : state.pending), !Task.isCancelled else { return true }
                    if stopOnly { state.stopWaiter = continuation } else { state.waiter = continuation }
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { if stopOnly { state.stopWaiter = nil } else { state.waiter = nil } }
                return stopOnly ? state.stopWaiter : state.waiter
            }
            waiter?.resume()
        }
    }
}
