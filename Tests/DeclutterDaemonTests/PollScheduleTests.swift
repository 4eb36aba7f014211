import DeclutterAPI
@testable import DeclutterDaemon
import Foundation
import TestSupport
import Synchronization
import Testing

@Suite("The poll schedule: pure dates in, dates out")
struct PollScheduleTests {
    let schedule: PollSchedule = {
        var polling = PollingConfiguration()
        polling.callbackGrace = .seconds(600)
        polling.initialInterval = .seconds(30)
        polling.maxInterval = .seconds(600)
        polling.giveUpAfter = .seconds(86_400)
        return PollSchedule(polling)
    }()
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a generation is first polled after the callback grace; a variation (no callback promised) after the initial interval")
    func firstPoll() {
        #expect(schedule.firstPoll(createdAt: t0) == t0 + 600)
        #expect(schedule.firstPoll(createdAt: t0, expectsCallback: false) == t0 + 30)
        #expect(schedule.afterCallback(now: t0) == t0 + 600)
    }

    @Test("answers back off from the initial interval, doubling up to the maximum, jitter within ±20 %")
    func backoff() {
        #expect(schedule.afterAnswer(attempt: 1, now: t0, random: 0) == t0 + 30)
        #expect(schedule.afterAnswer(attempt: 2, now: t0, random: 0) == t0 + 60)
        #expect(schedule.afterAnswer(attempt: 5, now: t0, random: 0) == t0 + 480)
        #expect(schedule.afterAnswer(attempt: 6, now: t0, random: 0) == t0 + 600)
        #expect(schedule.afterAnswer(attempt: 40, now: t0, random: 0) == t0 + 600)
        #expect(schedule.afterAnswer(attempt: 1, now: t0, random: 1) == t0 + 36)
        #expect(schedule.afterAnswer(attempt: 1, now: t0, random: -1) == t0 + 24)
    }

    @Test("Retry-After is honoured, but never past the generation's give-up time; without it, the backoff")
    func retryAfter() {
        let slow = UpstreamError(.rejected, httpStatus: 429, retryAfter: .seconds(120), message: "slow down")
        #expect(schedule.afterFailure(slow, attempt: 1, createdAt: t0, now: t0, random: 0) == t0 + 120)
        let huge = UpstreamError(.rejected, httpStatus: 429, retryAfter: .seconds(10 * 86_400), message: "come back next week")
        #expect(schedule.afterFailure(huge, attempt: 1, createdAt: t0, now: t0 + 3600, random: 0) == t0 + 86_400,
                "capped at created + give_up_after, not now + give_up_after")
        let down = UpstreamError(.serverError, httpStatus: 500, retryAfter: nil, message: "boom")
        #expect(schedule.afterFailure(down, attempt: 3, createdAt: t0, now: t0, random: 0) == t0 + 120)
    }

    @Test("expired after give_up_after; gone after lost_after_not_found answers running")
    func givingUp() {
        #expect(!schedule.isExpired(createdAt: t0, now: t0 + 86_400))
        #expect(schedule.isExpired(createdAt: t0, now: t0 + 86_401))
        #expect(!schedule.isGone(consecutiveNotFound: 2))
        #expect(schedule.isGone(consecutiveNotFound: 3))
    }
}

@Suite("Timed rules on a manual clock")
struct ManualClockRuleTests {
    @Test("the pacer spaces poll starts to max_per_second: one now, the next a fifth of a second later, and so on")
    func pacer() async throws {
        let clock = ManualClock()
        let pacer = Pacer(perSecond: 5, clock: DaemonClock(clock))
        try await pacer.waitForTurn()  // the first turn is now
        let started = StartCounter()
        let turns = Task {
            for _ in 0..<3 {
                try await pacer.waitForTurn()
                started.add()
            }
        }
        await clock.sleepers(atLeast: 1)
        #expect(started.count == 0)
        #expect(clock.deadlines == [.milliseconds(200)])
        clock.advance(by: .milliseconds(199))
        #expect(clock.deadlines == [.milliseconds(200)], "not a millisecond early")
        clock.advance(by: .milliseconds(1))
        await clock.sleepers(atLeast: 1)
        #expect(started.count == 1)
        #expect(clock.deadlines == [.milliseconds(400)])
        clock.advance(by: .seconds(10))
        try await turns.value
        #expect(started.count == 3)
    }

    @Test("a watch ends at its deadline when nothing changes, at once on a change, and every wait ends when the daemon stops")
    func watch() async throws {
        let clock = ManualClock()
        let daemonClock = DaemonClock(clock)
        let watch = GenerationWatch(clock: daemonClock, capacity: 2)
        let quiet = try #require(watch.subscribe(row: 1))
        let waiting = Task { await watch.wait(quiet, until: daemonClock.now.advanced(by: .seconds(5))) }
        await clock.sleepers(atLeast: 1)
        clock.advance(by: .seconds(5))
        await waiting.value

        let busy = try #require(watch.subscribe(row: 2))
        #expect(watch.subscribe(row: 3) == nil, "two subscriptions is the capacity")
        let changed = Task { await watch.wait(busy, until: daemonClock.now.advanced(by: .seconds(60))) }
        await clock.sleepers(atLeast: 1)
        watch.changed(row: 2)
        await changed.value
        #expect(clock.now.offset == .seconds(5), "it did not need the clock to move")

        watch.rearm(busy)
        let stopped = Task { await watch.wait(busy, until: daemonClock.now.advanced(by: .seconds(60))) }
        await clock.sleepers(atLeast: 1)
        watch.stopWaiting()
        await stopped.value
        await watch.wait(busy, until: daemonClock.now.advanced(by: .seconds(60)))  // at once, once stopping
        watch.end(quiet)
        watch.end(busy)
        #expect(watch.waiting == 0)
    }
}

/// Counts from several tasks.
final class StartCounter: Sendable {
    private let value = Mutex(0)
    var count: Int { value.withLock { $0 } }
    func add() { value.withLock { $0 += 1 } }
}
