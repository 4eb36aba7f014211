@testable import DeclutterDaemon
import Foundation
import TestSupport
import Testing

@Suite("Wake-ups for the poller's sleep, on a manual clock")
struct WakeSignalTests {
    @Test("a signal ends the wait, and an ended wait leaves nothing pending behind it")
    func noStaleWakeUps() async throws {
        let clock = ManualClock()
        let signal = WakeSignal(clock: DaemonClock(clock))
        // Given a wait ended early by a signal (its timer is then cancelled)
        let waiter = Task { _ = await signal.wait(timeout: .seconds(30)) }
        await clock.sleepers(atLeast: 1)
        signal.signal()
        await waiter.value
        // When the next wait starts, with a timeout that must be what ends it
        let second = Task { _ = await signal.wait(timeout: .milliseconds(300)) }
        await clock.sleepers(atLeast: 1)
        // Then only its own deadline is pending (the first timer is gone), and it ends when that passes
        #expect(clock.deadlines == [.milliseconds(300)])
        clock.advance(by: .milliseconds(300))
        await second.value
    }

    @Test("a signal sent before the wait is kept for it")
    func signalBeforeWait() async {
        let clock = ManualClock()
        let signal = WakeSignal(clock: DaemonClock(clock))
        signal.signal()
        await signal.wait(timeout: .seconds(30))
        // It returned without the clock moving.
        #expect(clock.now.offset == .zero)
    }

    @Test("without a signal, the wait lasts exactly its timeout")
    func timeout() async {
        let clock = ManualClock()
        let signal = WakeSignal(clock: DaemonClock(clock))
        let waiter = Task { _ = await signal.wait(timeout: .seconds(5)) }
        await clock.sleepers(atLeast: 1)
        clock.advance(by: .seconds(4))
        #expect(clock.deadlines == [.seconds(5)], "still waiting after 4 s")
        clock.advance(by: .seconds(1))
        await waiter.value
    }
}
