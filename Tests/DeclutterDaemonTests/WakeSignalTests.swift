@testable import DeclutterDaemon
import Foundation
import Testing

@Suite("Wake-ups for the poller's sleep")
struct WakeSignalTests {
    @Test("a signal ends the wait, and an ended wait leaves nothing pending behind it")
    func noStaleWakeUps() async throws {
        let signal = WakeSignal()
        // Given a wait ended early by a signal (its timer is then cancelled)
        let waiter = Task { await signal.wait(timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(20))
        signal.signal()
        await waiter.value
        // When the next wait starts, with a short timeout that must be what ends it
        let started = ContinuousClock.now
        await signal.wait(timeout: .milliseconds(300))
        // Then it did not return at once (a cancelled timer must not leave a pending wake-up)
        #expect(ContinuousClock.now - started >= .milliseconds(250))
    }

    @Test("a signal sent before the wait is kept for it")
    func signalBeforeWait() async {
        let signal = WakeSignal()
        signal.signal()
        let started = ContinuousClock.now
        await signal.wait(timeout: .seconds(30))
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
