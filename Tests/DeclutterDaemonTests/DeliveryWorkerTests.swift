@testable import DeclutterDaemon
@testable import DeclutterStore
import Foundation
import TestSupport
import Testing

/// The delivery worker against real receivers on 127.0.0.1 and a real database file, with the schedule's time
/// on a manual clock: nothing here waits for wall time to pass.
@Suite("Webhook delivery worker")
struct DeliveryWorkerTests {
    @Test("500 three times, then 200: delivered on the fourth attempt, each made when the schedule says")
    func retriedUntilDelivered() async throws {
        let receiver = await WebhookReceiver.start(answers: [500, 500, 500], otherwise: 200)
        let configuration = DeliveryRig.configuration { $0.retrySchedule = [.zero, .seconds(5), .seconds(60), .seconds(300), .seconds(600)] }
        try await DeliveryRig.with(configuration, stopping: receiver) { rig in
            try await rig.endpoint(receiver.url())
            try await rig.message()
            // The first attempt is immediate; then 5 s, 60 s and 300 s after the attempt before
            _ = try await rig.attempts(1, count: 1)
            #expect(try await rig.database.deliveryStats().pending == 1)
            try await rig.advance(toRetryAfter: .seconds(5))
            _ = try await rig.attempts(1, count: 2)
            try await rig.advance(toRetryAfter: .seconds(60))
            _ = try await rig.attempts(1, count: 3)
            try await rig.advance(toRetryAfter: .seconds(300))
            let attempts = try await rig.attempts(1, count: 4)
            #expect(attempts.map(\.httpStatus) == [500, 500, 500, 200])
            #expect(attempts.map(\.attempt) == [1, 2, 3, 4])
            let offsets = attempts.map { $0.attemptedAt.timeIntervalSince(DeliveryRig.start) }
            for (offset, expected) in zip(offsets, [0.0, 5, 65, 365]) { #expect(abs(offset - expected) < 0.01, "\(offsets)") }
            try await eventually("delivered") { try await rig.delivery(1).delivery.status == .delivered }
            #expect(receiver.received.count == 4)
            #expect(Set(receiver.received.map { $0.headers["webhook-id"] }) == ["msg_1"], "the same id on every attempt")
            #expect(try await rig.database.deliveryStats().pending == 0)
            #expect(rig.metric(#"declutterd_deliveries_total{result="retrying"}"#) == 3)
            #expect(rig.metric(#"declutterd_deliveries_total{result="delivered"}"#) == 1)
        }
    }

    @Test("410 Gone: the message fails at once for that endpoint and the endpoint is disabled")
    func gone() async throws {
        let receiver = await WebhookReceiver.start(otherwise: 410)
        try await DeliveryRig.with(DeliveryRig.configuration(), stopping: receiver) { rig in
            let endpoint = try await rig.endpoint(receiver.url())
            try await rig.message()
            try await eventually("failed") { try await rig.delivery(1).delivery.status == .failed }
            #expect(try await rig.delivery(1).attempts.map(\.httpStatus) == [410])
            let record = try #require(try await rig.database.endpoint(endpoint))
            #expect(!record.enabled)
            #expect(record.disabledReason?.contains("410") == true)
            try await eventually("counted") { rig.metric(#"declutterd_endpoints_disabled_total{reason="gone"}"#) == 1 }
            #expect(rig.metric(#"declutterd_deliveries_total{result="failed"}"#) == 1)
        }
    }

    @Test("no answer within notify.timeout (200 ms on the clock): a timeout attempt, and the delivery retried later")
    func timeout() async throws {
        let receiver = await WebhookReceiver.start(holding: true)
        try await DeliveryRig.with(DeliveryRig.configuration { $0.timeout = .milliseconds(200) }, stopping: receiver) { rig in
            try await rig.endpoint(receiver.url())
            try await rig.message()
            try await eventually("the request arrived") { receiver.received.count == 1 }
            try await rig.advance(toRetryAfter: .milliseconds(200))
            let attempt = try #require(try await rig.attempts(1, count: 1).first)
            #expect(attempt.httpStatus == nil)
            #expect(attempt.error?.contains("timeout") == true, "\(attempt.error ?? "nil")")
            #expect(attempt.latencyMilliseconds == 200)
            let delivery = try await rig.delivery(1).delivery
            #expect(delivery.status == .pending)
            let next = try #require(delivery.nextAttemptAt)
            #expect(abs(next.timeIntervalSince(DeliveryRig.start) - 5) < 0.01, "5 s after the attempt")
        }
    }

    @Test("nothing listening: the attempt row says the connection was refused, and the delivery is retried")
    func refused() async throws {
        let receiver = await WebhookReceiver.start()
        try await DeliveryRig.with(DeliveryRig.configuration(), stopping: receiver) { rig in
            let closed = try RefusingLoopbackPort()
            try await rig.endpoint("http://127.0.0.1:\(closed.port)/hooks")
            try await rig.message()
            let attempt = try #require(try await rig.attempts(1, count: 1).first)
            #expect(attempt.error == "connection refused", "\(attempt)")
            withExtendedLifetime(closed) {}
            #expect(try await rig.delivery(1).delivery.status == .pending)
        }
    }

    @Test("an endpoint failing for longer than notify.disable_after, without a delivery, is disabled and gets nothing more")
    func disableAfter() async throws {
        let receiver = await WebhookReceiver.start(otherwise: 500)
        try await DeliveryRig.with(DeliveryRig.configuration { $0.disableAfter = .seconds(60) }, stopping: receiver) { rig in
            let endpoint = try await rig.endpoint(receiver.url())
            try await rig.message()
            // Failing since the first attempt (0 s); still enabled at 5 s; disabled by the attempt at 65 s
            _ = try await rig.attempts(1, count: 1)
            try await rig.advance(toRetryAfter: .seconds(5))
            _ = try await rig.attempts(1, count: 2)
            #expect(try await rig.database.endpoint(endpoint)?.enabled == true)
            try await rig.advance(toRetryAfter: .seconds(60))
            _ = try await rig.attempts(1, count: 3)
            try await eventually("disabled") { try await rig.database.endpoint(endpoint)?.enabled == false }
            #expect(try await rig.database.endpoint(endpoint)?.disabledReason?.contains("failing since") == true)
            try await eventually("counted") { rig.metric(#"declutterd_endpoints_disabled_total{reason="failing"}"#) == 1 }
            // The delivery waits (pending) for the endpoint to be enabled again; no attempt is scheduled meanwhile
            #expect(try await rig.delivery(1).delivery.status == .pending)
            try await eventually("the worker asleep with nothing due") {
                rig.worker.attemptsInFlight == 0 && !rig.clock.deadlines.contains { $0 - rig.clock.now.offset < .seconds(86_400) }
            }
            #expect(receiver.received.count == 3)
        }
    }

    @Test("a healthy receiver gets the message body exactly, the documented headers, and signatures that verify")
    func headersAndSignature() async throws {
        let receiver = await WebhookReceiver.start(answerBody: String(repeating: "x", count: 4096))
        try await DeliveryRig.with(DeliveryRig.configuration(), stopping: receiver) { rig in
            let endpoint = try await rig.endpoint(receiver.url())
            // During a rotation both secrets sign
            let rotated = "whsec_" + Data(repeating: 9, count: 32).base64EncodedString()
            _ = try await rig.database.rotateSecret(of: endpoint, to: rotated, overlapUntil: rig.now + 86_400, at: rig.now)
            try await rig.message()
            try await eventually("delivered") { try await rig.delivery(1).delivery.status == .delivered }
            let message = try #require(try await rig.database.message(1))
            let received = try #require(receiver.received.first)
            #expect(received.body == message.body)
            #expect(received.headers["webhook-id"] == "msg_1")
            #expect(received.headers["webhook-timestamp"] == "1800000000")
            #expect(received.headers["content-type"] == "application/json")
            #expect(received.headers["user-agent"] == "declutterd/\(DaemonVersion.current)")
            let signatures = try #require(received.headers["webhook-signature"]).split(separator: " ").map(String.init)
            for (signature, secret) in zip(signatures, [rotated, DeliveryRig.secret]) {
                #expect(signature == WebhookSignature.sign(id: "msg_1", timestamp: 1_800_000_000, body: Data(received.body.utf8), secrets: [secret]))
            }
            #expect(signatures.count == 2)
            // The attempt keeps the first 1 KiB of the answer
            let attempt = try #require(try await rig.delivery(1).attempts.first)
            #expect(attempt.httpStatus == 200)
            #expect(attempt.response == String(repeating: "x", count: DeliveryAttemptRecord.responseLimit))
        }
    }

    @Test("notify.max_per_endpoint holds: a receiver that keeps its answers sees at most that many at once, per endpoint")
    func perEndpointBound() async throws {
        let receiver = await WebhookReceiver.start(holding: true)
        try await DeliveryRig.with(DeliveryRig.configuration { $0.maxPerEndpoint = 2 }, stopping: receiver) { rig in
            try await rig.endpoint(receiver.url("a"))
            try await rig.endpoint(receiver.url("b"))
            for _ in 0..<5 { try await rig.message() }
            // Two attempts to each endpoint start (each counted in flight before it is sent); the other three of each wait
            try await eventually("two requests at each endpoint") { receiver.received("a") == 2 && receiver.received("b") == 2 }
            #expect(rig.worker.attemptsInFlight == 4)
            // Once the receiver answers, the rest go, never more than two at once to one endpoint
            receiver.release()
            try await eventually("all delivered") { try await rig.database.deliveryStats().pending == 0 }
            #expect(receiver.received("a") == 5 && receiver.received("b") == 5)
            #expect(receiver.mostInFlight("a") == 2 && receiver.mostInFlight("b") == 2)
        }
    }

    @Test("ten endpoints that never answer beside a healthy one: the healthy one gets every message at once")
    func hangingEndpointsDoNotStarveAHealthyOne() async throws {
        let hanging = await WebhookReceiver.start(holding: true)
        let healthy = await WebhookReceiver.start()
        // Given ten endpoints whose answers never come (the clock stands still: no attempt to them ever times out)
        try await DeliveryRig.with(DeliveryRig.configuration(), stopping: hanging) { rig in
            for index in 0..<10 { try await rig.endpoint(hanging.url("hang\(index)")) }
            try await rig.endpoint(healthy.url("healthy"))
            // When 20 messages go to all eleven
            for _ in 0..<20 { try await rig.message() }
            // Then the healthy endpoint gets all 20 (before the fix: none, ever); the hanging ones hold a slot each. Its
            // fair share is one slot among eleven endpoints, so its 20 attempts run one after the other: on a loaded
            // 2-core machine that took over a minute once; a starved endpoint gets none, however long the wait.
            let all = try await eventually(timeout: .seconds(180), "20 messages at the healthy endpoint") { healthy.received("healthy") == 20 }
            #expect(all, "\(healthy.received("healthy")) of 20")
            #expect(rig.worker.attemptsInFlight <= DeliveryRig.configuration().maxInFlight)
        }
        await healthy.stop()
    }

    @Test("a stop abandons the attempts in flight at once, recording nothing; the next run delivers them")
    func stopAndResume() async throws {
        let receiver = await WebhookReceiver.start(holding: true)
        try await withTemporaryDatabase { database, _ in
            let clock = ManualClock()
            // Given an attempt the receiver holds, when the worker stops (the clock standing still)
            try await DeliveryRig.run(on: database, DeliveryRig.configuration(), clock: clock) { rig in
                try await rig.endpoint(receiver.url())
                try await rig.message()
                try await eventually("the request arrived") { receiver.received.count == 1 }
            }
            // Then nothing was recorded: the delivery is still due
            let held = try #require(try await database.delivery(1))
            #expect(held.attempts.isEmpty)
            #expect(held.delivery.status == .pending)
            #expect(clock.now.offset == .zero)
            // And a new worker on the same database delivers it
            receiver.release()
            try await DeliveryRig.run(on: database, DeliveryRig.configuration(), clock: clock) { rig in
                try await eventually("delivered after the restart") { try await rig.delivery(1).delivery.status == .delivered }
            }
            #expect(receiver.received.count == 2)
        }
        await receiver.stop()
    }

    @Test("in a running daemon: a tracked generation's message reaches the endpoint, and a stop does not wait for its answer")
    func inTheDaemon() async throws {
        let upstream = try await HeldUpstream.start(holding: false)
        let receiver = await WebhookReceiver.start(holding: true)
        let clock = ManualClock()
        let (running, directory) = try await ManualClockDaemonTests.daemon(upstream: upstream, clock: clock) { _ in }
        defer { directory.remove() }
        _ = try await running.daemon.database.createEndpoint(EndpointRecord(
            url: receiver.url(), description: nil, types: [.generationCreated], secret: DeliveryRig.secret, createdAt: DeliveryRig.start))
        // Given the generation.created webhook of a tracked generation, held by the receiver
        try await ManualClockDaemonTests.track(running, count: 1)
        try await eventually("the webhook arrived") { receiver.received.count == 1 }
        #expect(receiver.received.first?.body.contains(#""type":"generation.created""#) == true)
        // When the daemon stops, the clock standing still
        let stopped = StartCounter()
        let stopping = Task {
            await running.stop()
            stopped.add()
        }
        // Then the stop ends without waiting for the answer (nor for notify.timeout), and the attempt left no row. The
        // answer never comes (the receiver holds it until the end), so any bound tells; a loaded machine gets a minute.
        try await eventually(timeout: .seconds(60), "the stop to end") { stopped.count == 1 }
        await stopping.value
        #expect(clock.now.offset == .zero)
        try await withDatabase(at: directory.file("declutterd.sqlite")) { database in
            let delivery = try #require(try await database.delivery(1))
            #expect(delivery.attempts.isEmpty)
            #expect(delivery.delivery.status == .pending)
        }
        await receiver.stop()
        await upstream.stop()
    }

    @Test("the delivery gauges are read from the store at scrape time")
    func gauges() {
        let metrics = DaemonMetrics()
        let now = DeliveryRig.start
        metrics.record(DeliveryStats(pending: 3, oldestPendingCreatedAt: now - 90, enabledEndpoints: 2, disabledEndpoints: 1), now: now)
        let text = metrics.exposition()
        #expect(text.contains("declutterd_messages_pending 3"))
        #expect(text.contains("declutterd_oldest_pending_message_age_seconds 90"))
        #expect(text.contains(#"declutterd_endpoints{state="enabled"} 2"#))
        #expect(text.contains(#"declutterd_endpoints{state="disabled"} 1"#))
    }
}
