import Synchronization

/// Wakes a sleeping loop early: `signal()` ends the current (or next) `wait`.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    private let clock: DaemonClock

    init(clock: DaemonClock) {
        self.clock = clock
    }

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns on a signal (one sent since the last wait counts), after `timeout` (counted from this call), or on
    /// cancellation. Without a timeout, nothing sleeps on the clock meanwhile.
    func wait(timeout: Duration?) async {
        await wait(until: timeout.map { clock.now.advanced(by: $0) })
    }

    /// Returns on a signal, at `deadline` on the clock, or on cancellation. The deadline is an instant, not a length:
    /// a timer task that starts late (a busy machine) or a clock that moved meanwhile never stretches the sleep.
    func wait(until deadline: DaemonClock.Instant?) async {
        let timer = deadline.map { deadline in Task { [weak self, clock] in
            // Only a timer that ran out signals: a cancelled one (the wait ended early) must not.
            do {
                try await clock.sleep(until: deadline)
                self?.signal()
            } catch {}
        } }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            signal()
        }
        timer?.cancel()
    }
}
