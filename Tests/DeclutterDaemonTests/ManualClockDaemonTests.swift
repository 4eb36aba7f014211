import DeclutterAPI
@testable import DeclutterDaemon
import DeclutterSandbox
import DeclutterStore
import Foundation
import TestSupport
import Testing

/// The daemon's timed rules with the daemon on a manual clock: nothing here waits for wall time to pass.
@Suite("Timed rules of a running daemon, on a manual clock")
struct ManualClockDaemonTests {
    /// What sleeps on the clock in an idle daemon: the poller, and the history pruner between its rounds.
    static let idleSleepers = 2

    /// A daemon on `clock` polling `upstream` (tracked generations only: nothing is submitted).
    static func daemon(upstream: HeldUpstream, clock: ManualClock, polling: (inout PollingConfiguration) -> Void) async throws -> (RunningDaemon, TemporaryDirectory) {
        let directory = try TemporaryDirectory(prefix: "declutterd-clock")
        var configuration = DaemonConfiguration(upstream: DeclutterClientConfiguration(
            baseURL: upstream.baseURL, userID: UUID(), apiKey: "sk-test", requestTimeout: .seconds(30),
            retrievalRetry: .none, submissionRetry: .none))
        configuration.callbacksListen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.localListen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.databasePath = directory.file("declutterd.sqlite")
        polling(&configuration.polling)
        let daemon = try Daemon(configuration: configuration, logger: Harness.quietLogger(),
                                clock: .following(clock, from: Date(timeIntervalSince1970: 1_800_000_000)))
        return (try await daemon.start(), directory)
    }

    static func track(_ running: RunningDaemon, count: Int) async throws {
        for _ in 0..<count {
            let reply = try await Harness.send("POST", running.localURL + "/v1/track", body: Data(#"{"generation_id": "\#(UUID())"}"#.utf8))
            #expect(reply.status == 202, "\(reply.text)")
        }
    }

    @Test("max_per_second spaces poll starts on the clock, and max_in_flight caps them however far the clock runs")
    func pollBounds() async throws {
        let upstream = try await HeldUpstream.start()
        let clock = ManualClock()
        let (running, directory) = try await Self.daemon(upstream: upstream, clock: clock) {
            $0.maxInFlight = 2
            $0.maxPerSecond = 5
        }
        defer { directory.remove() }
        // Given six generations due now
        try await Self.track(running, count: 6)
        // Then one poll starts at once, and the next waits for its turn, a fifth of a second on
        try await eventually("the first poll") { upstream.started == 1 }
        await clock.sleepers(atLeast: Self.idleSleepers)
        #expect(clock.deadlines.contains(.milliseconds(200)), "\(clock.deadlines)")
        #expect(upstream.started == 1)
        clock.advance(by: .milliseconds(200))
        try await eventually("the second poll") { upstream.started == 2 }
        // When the clock runs on a long way (past the poller's longest nap, 60 s) with both polls held
        for _ in 0..<10 {
            await clock.sleepers(atLeast: Self.idleSleepers)
            clock.advance(by: .seconds(15))
        }
        await clock.sleepers(atLeast: Self.idleSleepers)
        // Then no third poll started: two is the cap
        #expect(upstream.started == 2)
        #expect(upstream.inFlight == 2)
        #expect(running.daemon.poller.pollsInFlight == 2)
        // And once they answer, the others get their turns
        upstream.release()
        try await eventually("the remaining polls, clock advancing") {
            clock.advance(by: .milliseconds(200))
            return upstream.started == 6
        }
        await running.stop()
        await upstream.stop()
    }

    @Test("a generation with no terminal answer is LOST once give_up_after (24 h) has passed on the clock, not before")
    func lostAfterGiveUp() async throws {
        let upstream = try await HeldUpstream.start(holding: false)
        let clock = ManualClock()
        let (running, directory) = try await Self.daemon(upstream: upstream, clock: clock) {
            $0.initialInterval = .seconds(30)
            $0.maxInterval = .seconds(600)
            $0.giveUpAfter = .seconds(86_400)
        }
        defer { directory.remove() }
        try await Self.track(running, count: 1)
        let database = running.daemon.database
        try await eventually("the first poll") { upstream.started == 1 }
        // Advance in half hours (each longer than the longest poll interval, so each makes one poll due), each time
        // waiting for that poll to end before the next: the clock never runs ahead of a poller slowed by a busy machine.
        let poller = running.daemon.poller
        try await eventually("the first poll recorded") { poller.pollsInFlight == 0 && upstream.started == 1 }
        var advanced: Duration = .zero
        var status = try await database.generation(.row(1))?.status
        while status != .lost, advanced <= .seconds(86_400 + 3600) {
            let polls = upstream.started
            clock.advance(by: .seconds(1800))
            advanced += .seconds(1800)
            let moved = try await eventually("a poll or LOST after \(advanced)") {
                status = try await database.generation(.row(1))?.status
                return status == .lost || (upstream.started == polls + 1 && poller.pollsInFlight == 0)
            }
            if !moved {
                let record = try await database.generation(.row(1))
                Issue.record("clock at \(clock.now.offset), sleepers until \(clock.deadlines), polls \(upstream.started), in flight \(poller.pollsInFlight), next poll \(String(describing: record?.nextPollAt?.timeIntervalSince1970)) (start 1800000000)")
                break
            }
        }
        #expect(status == .lost, "still \(String(describing: status)) after \(advanced)")
        #expect(advanced > .seconds(86_400) && advanced <= .seconds(86_400 + 1800), "LOST at \(advanced) on the clock")
        let record = try #require(try await database.generation(.row(1)))
        #expect(record.statusReason?.contains("give_up_after") == true)
        let gaveUp = try #require(try await database.events(forRow: 1).last { $0.source == .giveup })
        #expect(gaveUp.receivedAt.timeIntervalSince(record.createdAt) > 86_400, "not before 24 h on the clock")
        #expect((1...60).contains(upstream.started), "polled on the backoff, at most once per advance: \(upstream.started)")
        await running.stop()
        await upstream.stop()
    }

    @Test("/readyz degrades when the service refuses the credentials (401 or 403), with the reason", arguments: [401, 403])
    func readinessOnCredentials(status: Int) async throws {
        let upstream = try await HeldUpstream.start(status: status, holding: false)
        let clock = ManualClock()
        let (running, directory) = try await Self.daemon(upstream: upstream, clock: clock) { _ in }
        defer { directory.remove() }
        #expect(try await Harness.send("GET", running.localURL + "/readyz").status == 200)
        try await Self.track(running, count: 1)
        try await eventually("the poll") { upstream.started == 1 }
        try await eventually("readiness degraded") {
            try await Harness.send("GET", running.localURL + "/readyz").status == 503
        }
        let ready = try await Harness.send("GET", running.localURL + "/readyz")
        #expect(ready.text.contains("\(status)"), "\(ready.text)")
        await running.stop()
        await upstream.stop()
    }

    @Test("?wait= holds until its timeout on the clock when nothing changes")
    func waitTimesOut() async throws {
        let clock = ManualClock()
        try await Harness.with(sandbox: E2E.silentSandbox, polling: E2E.callbacksOnly, clock: .following(clock, from: Date())) { harness in
            let (row, _) = try await harness.submitted()
            let waiting = Task { try await harness.local("GET", "/v1/generations/\(row)?wait=5") }
            try await eventually("the wait's timer") { clock.deadlines.contains(.seconds(5)) }
            clock.advance(by: .seconds(5))
            let reply = try await waiting.value
            #expect(reply.status == 200)
            #expect(reply.json["status"] as? String == "STARTING")
        }
    }

    @Test("a graceful stop held up by a request is cut off once its bound (20 s) has passed on the clock")
    func stopBound() async throws {
        let upstream = try await HeldUpstream.start()
        let clock = ManualClock()
        let (running, directory) = try await Self.daemon(upstream: upstream, clock: clock) { _ in }
        defer { directory.remove() }
        try await Self.track(running, count: 1)
        try await eventually("the poller's poll") { upstream.started == 1 }
        // Given a request that the service holds: a refresh whose retrieval call never answers
        let refreshing = Task { try await Harness.send("POST", running.localURL + "/v1/generations/1/refresh") }
        // When the daemon is asked to stop
        let stopped = StartCounter()
        let stopping = Task {
            await running.stop()
            stopped.add()
        }
        // Then the stop's bound starts on the clock, and the stop ends once it has passed
        try await eventually("the stop bound's timer") { clock.deadlines.contains(clock.now.offset + .seconds(20)) }
        #expect(stopped.count == 0)
        clock.advance(by: .seconds(20))
        try await eventually("the stop to end") { stopped.count == 1 }
        await stopping.value
        _ = try? await refreshing.value
        await upstream.stop()
    }

    @Test("?wait= is bounded: beyond local.max_waiters a request gets 503 with Retry-After; a stop answers every waiter at once")
    func waiters() async throws {
        let clock = ManualClock()
        let harness = try await Harness.start(sandbox: E2E.silentSandbox, polling: E2E.callbacksOnly, clock: .following(clock, from: Date()),
                                              adjust: { $0.maxWaiters = 2 })
        let (row, _) = try await harness.submitted()
        let watch = harness.daemon.daemon.poller.watch
        // Given two requests waiting (the cap)
        let first = Task { try await harness.local("GET", "/v1/generations/\(row)?wait=60") }
        let second = Task { try await harness.local("GET", "/v1/generations/\(row)?wait=60") }
        try await eventually("two waiters") { watch.waiting == 2 }
        // Then a third is refused at once, and writes nothing
        let third = try await harness.local("GET", "/v1/generations/\(row)?wait=60")
        #expect(third.status == 503)
        #expect(E2E.errorCode(third) == "too_many_waiters")
        #expect(third.header("Retry-After") == "1")
        // When the daemon stops, without the clock moving
        let stopping = Task { await harness.stopDaemon() }
        // Then both waiters are answered at once with the record as it stands
        let answers = [try await first.value, try await second.value]
        #expect(answers.map(\.status) == [200, 200])
        #expect(answers.allSatisfy { $0.json["status"] as? String == "STARTING" })
        #expect(clock.now.offset == .zero)
        await stopping.value
        await harness.stop()
    }

    @Test("a finished generation's callback URL answers 404 once callbacks.token_ttl has passed on the clock, writing nothing", arguments: StoreBackend.available)
    func tokenExpiry(_ backend: StoreBackend) async throws {
        let clock = ManualClock()
        try await Harness.with(backend: backend, sandbox: E2E.silentSandbox, polling: E2E.callbacksOnly, clock: .following(clock, from: Date())) { harness in
            let (row, _) = try await harness.submitted()
            let url = try await EndToEndCallbackOptionsTests.callbackURL(harness)
            let succeeded = Data(#"{"status": "SUCCEEDED", "images": ["https://cdn.example/out.png"]}"#.utf8)
            #expect(try await Harness.send("POST", url, body: succeeded).status == 204)
            clock.advance(by: .seconds(7 * 86_400 - 60))
            #expect(try await Harness.send("POST", url, body: succeeded).status == 204, "a duplicate within the week")
            let events = try await harness.countEvents(where: "generation = ?", [.integer(row)])
            clock.advance(by: .seconds(120))
            let expired = try await Harness.send("POST", url, body: succeeded)
            #expect(expired.status == 404)
            #expect(E2E.errorCode(expired) == "unknown_callback")
            #expect(try await harness.countEvents(where: "generation = ?", [.integer(row)]) == events)
        }
    }
}
