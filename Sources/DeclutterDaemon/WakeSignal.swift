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

    /// Returns on a signal (one sent since the last wait counts), after `timeout`, or on cancellation. Without
    /// a timeout, nothing sleeps on the clock meanwhile.
    func wait(timeout: Duration?) async {
        let timer = timeout.map { timeout in Task { [weak self, clock] in
            // Only a timer that ran out signals: a cancelled one (the wait ended early) must not.
            do {
                try await clock.sleep(for: timeout)
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
