import DeclutterAPI
import DeclutterDaemon
import DeclutterSandbox
import DeclutterStore
import Foundation
import TestSupport
import Testing

/// The polling fallback over real sockets: dropped callbacks, a restart on the same file, 429/503 from
/// the retrieval endpoint, give-up and refresh, adopted generations.
@Suite("End to end: polling")
struct EndToEndPollingTests {
    @Test("a dropped callback is resolved by one poll after the grace, once the job is done", arguments: StoreBackend.available)
    func droppedCallback(_ backend: StoreBackend) async throws {
        let sandbox = E2E.sandbox { $0.faults.callbackDrop = 1 }
        let clock = ManualClock()
        try await Harness.with(backend: backend, sandbox: sandbox, polling: E2E.pollAfterJob, clock: .following(clock, from: Date())) { harness in
            let (row, generationID) = try await harness.submitted()
            try await harness.pollAfterTheJobs([(row, generationID)], clock: clock)
            let done = try await harness.waitTerminal(row)
            #expect(done["status"] as? String == "SUCCEEDED")
            #expect(done["resolved_by"] as? String == "poll")

            let record = try await harness.record(row)
            #expect(record.nextPollAt == nil)
            #expect(record.images?.count == 2)
            // The first poll is due at created + 3 s; the job ended ~60 ms in: that one call finds it done.
            #expect(await harness.retrievals(of: generationID) == 1)
            #expect(record.pollAttempts == 1)
            let polls = try await harness.database.events(forRow: row).filter { $0.source == .poll }
            #expect(polls.map(\.outcome) == [.applied])
            #expect(polls.first?.httpStatus == 200)
            #expect(polls.first.map { $0.receivedAt.timeIntervalSince(record.createdAt) >= 3 } == true, "not polled before the grace")
            let counters = await harness.sandbox.sandbox.counters()
            #expect(counters.callbacksSent == 0)
            #expect(counters.callbacksDropped == 2)
        }
    }

    @Test("stopped mid-flight and started again on the same file: polling resumes from the database alone")
    func restartResumes() async throws {
        let sandbox = E2E.sandbox { $0.faults.callbackDrop = 1 }
        // The first daemon has the default 10 min grace: it records the generations and never polls them.
        let first = E2E.polling { $0.callbackGrace = .seconds(600) }
        try await Harness.with(sandbox: sandbox, polling: first) { harness in
            var rows: [Int64] = []
            for index in 0..<4 { rows.append(try await harness.submitted(image: "https://images.example/r\(index).jpg").row) }
            let pending = try await harness.database.generations(matching: GenerationFilter()).filter(\.status.isPending)
            #expect(pending.count == 4)
            await harness.stopDaemon()
            let counters = await harness.sandbox.sandbox.counters()
            #expect(counters.retrievalCalls == 0, "the first daemon never polled")
            #expect(counters.callbacksSent == 0)

            // The second daemon comes back "15 minutes later" (its clock is shifted), on the same file: the polls
            // recorded as due at created + 10 min are due now, and nothing but the database says so.
            let second = try await RestartedDaemon.start(on: harness, polling: E2E.polling { $0.giveUpAfter = .seconds(86_400) },
                                                         downFor: 15 * 60)
            do {
                for row in rows {
                    let done = try await second.local("GET", "/v1/generations/\(row)?wait=15").json
                    #expect(done["status"] as? String == "SUCCEEDED")
                    #expect(done["resolved_by"] as? String == "poll")
                }
                let counters = await harness.sandbox.sandbox.counters()
                #expect(counters.generateCalls == 4, "nothing was resubmitted")
                #expect(counters.callbacksSent == 0)
                for row in rows {
                    let record = try #require(try await second.database.generation(.row(row)))
                    let generationID = try #require(record.generationID)
                    let calls = counters.retrievalCallsByGeneration[StoreFormat.uuid(generationID)] ?? 0
                    #expect(calls == 1, "each job was long done when its poll came due")
                    #expect(record.pollAttempts == 1)
                    #expect(record.nextPollAt == nil)
                }
            } catch {
                await second.stop()
                throw error
            }
            await second.stop()
        }
    }

    @Test("429 and 503 from the retrieval endpoint: the poller backs off, records them and still finishes")
    func rateLimitedAndUnavailable() async throws {
        let sandbox = E2E.sandbox(seed: 3) {
            $0.faults.callbackDrop = 1
            $0.faults.rateLimited = 0.3
            $0.faults.unavailable = 0.3
            $0.faults.faultyEndpoints = [.get]
        }
        // Given up after 60 s, not 5: on a loaded machine, backing off from 429s and 503s takes a while.
        let polling = E2E.polling {
            $0.callbackGrace = .milliseconds(100)
            $0.giveUpAfter = .seconds(60)
        }
        try await Harness.with(sandbox: sandbox, polling: polling) { harness in
            var submitted: [(row: Int64, generationID: String)] = []
            for index in 0..<4 { submitted.append(try await harness.submitted(image: "https://images.example/r\(index).jpg")) }
            for generation in submitted {
                let done = try await harness.waitTerminal(generation.row)
                #expect(done["status"] as? String == "SUCCEEDED")
                #expect(done["resolved_by"] as? String == "poll")
            }
            let counters = await harness.sandbox.sandbox.counters()
            #expect(counters.generateCalls == 4, "the faults only hit the retrieval endpoint")
            #expect(counters.rateLimited > 0)
            #expect(counters.unavailable > 0)
            // Every faulty answer is one failed poll in the audit trail (the poller's client does not retry).
            #expect(try await harness.countEvents(where: "source = 'poll' AND http_status = 429 AND outcome = 'rejected'") == counters.rateLimited)
            #expect(try await harness.countEvents(where: "source = 'poll' AND http_status = 503 AND outcome = 'rejected'") == counters.unavailable)
            #expect(try await harness.countEvents(where: "source = 'poll'") == counters.retrievalCalls)
            for generation in submitted {
                let record = try await harness.record(generation.row)
                #expect(record.pollFailures == 0, "the last poll answered")
                // The sandbox counts a call against its generation only once past the fault injection.
                let failures = try await harness.countEvents(where: "generation = ? AND source = 'poll' AND outcome = 'rejected'", [.integer(generation.row)])
                #expect(record.pollAttempts == (counters.retrievalCallsByGeneration[generation.generationID] ?? 0) + failures)
            }
            // Backed off: a failed poll is never followed by another within the Retry-After (20 ms) or backoff.
            let failed = try await harness.sqlite.read { db in
                try EventRecord.filter(sql: "source = 'poll' AND http_status IN (429, 503)").fetchAll(db)
            }
            for event in failed {
                let next = try await harness.database.events(forRow: event.generation).first { ($0.id ?? 0) > (event.id ?? 0) && $0.source == .poll }
                if let next { #expect(next.receivedAt.timeIntervalSince(event.receivedAt) >= 0.01) }
            }
        }
    }

    @Test("a generation that never completes is LOST with a reason; refresh polls upstream now", arguments: StoreBackend.available)
    func giveUpAndRefresh(_ backend: StoreBackend) async throws {
        let sandbox = E2E.sandbox {
            $0.faults.callbackDrop = 1
            $0.completionTime = 3600...3600
        }
        let polling = E2E.polling {
            $0.callbackGrace = .milliseconds(100)
            $0.giveUpAfter = .milliseconds(300)
        }
        try await Harness.with(backend: backend, sandbox: sandbox, polling: polling) { harness in
            let (row, generationID) = try await harness.submitted()
            let lost = try await harness.waitTerminal(row, seconds: 10)
            #expect(lost["status"] as? String == "LOST")
            #expect((lost["status_reason"] as? String)?.contains("give_up_after") == true)
            #expect(lost["next_poll_at"] == nil, "a LOST generation is not polled on its own")
            let events = try await harness.database.events(forRow: row)
            #expect(events.last?.source == .giveup)
            #expect(events.last?.outcome == .applied)
            let gaveUp = try #require(events.last?.receivedAt)
            let created = try await harness.record(row).createdAt
            // Stored times are truncated to the millisecond: allow that much.
            #expect(gaveUp.timeIntervalSince(created) >= 0.299, "not before give_up_after: \(gaveUp.timeIntervalSince(created))")

            let before = await harness.retrievals(of: generationID)
            let refreshed = try await harness.local("POST", "/v1/generations/\(row)/refresh")
            #expect(refreshed.status == 200)
            // LOST accepts any upstream status: the poll revives it (and, still past give_up_after, the poller
            // may declare it LOST again as soon as its next poll comes due, so the reply may already say so).
            #expect(["PROCESSING", "LOST"].contains(refreshed.json["status"] as? String ?? ""))
            #expect(await harness.retrievals(of: generationID) >= before + 1)
            let revived = try await harness.database.events(forRow: row).first { $0.source == .poll && $0.statusBefore == .lost }
            #expect(revived?.outcome == .applied)
            #expect(revived?.statusReported == .processing)
        }
    }

    @Test("track adopts a generation created elsewhere and polls it to a terminal state", arguments: StoreBackend.available)
    func trackAdopts(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            let account = harness.sandbox.sandbox.configuration
            let client = DeclutterClient(configuration: DeclutterClientConfiguration(
                baseURL: harness.sandbox.baseURL, userID: account.userID, apiKey: account.apiKey, requestTimeout: .seconds(5)))
            let created = try await client.generate(imageURL: "https://images.example/elsewhere.jpg", auto: true, maskURL: nil, webhook: nil)
            let generationID = StoreFormat.uuid(created.generationID)

            let adopted = try await harness.local("POST", "/v1/track", json: #"{"generation_id": "\#(generationID)"}"#)
            #expect(adopted.status == 202)
            #expect(adopted.json["kind"] as? String == "tracked")
            let again = try await harness.local("POST", "/v1/track", json: #"{"generation_id": "\#(generationID)"}"#)
            #expect(again.status == 200, "already tracked")
            #expect(again.json["id"] as? Int == adopted.json["id"] as? Int)

            let done = try await harness.waitTerminal(generationID)
            #expect(done["status"] as? String == "SUCCEEDED")
            #expect(done["resolved_by"] as? String == "poll")
            #expect(done["project_id"] as? String == StoreFormat.uuid(created.projectID), "learned from the retrieval payload")
            #expect((done["images"] as? [String])?.count == 2)

            let stats = try await harness.local("GET", "/v1/stats").json
            #expect((stats["counts"] as? [String: Any])?["succeeded"] as? Int == 1)
            #expect((stats["resolved_by"] as? [String: Any])?["poll"] as? Int == 1)
            #expect((stats["resolved_by"] as? [String: Any])?["callback"] as? Int == 0)
            #expect(stats["pending"] as? Int == 0)
            let counters = await harness.sandbox.sandbox.counters()
            #expect((counters.retrievalCallsByGeneration[generationID] ?? 0) >= 1)
            #expect(counters.callbacksSent == 0, "no webhook was given")
        }
    }
}

@Suite("End to end: variations, which the service does not promise to call back")
struct EndToEndVariationTests {
    /// On SQLite only: with PostgreSQL beside the whole suite on a loaded machine, the parent, the variation and its
    /// polls did not always fit in the 5 s before LOST that this test's timings give.
    @Test("a variation is sent without a webhook and polled from its submission at initial_interval, not after the callback grace")
    func variationPolled() async throws {
        // The grace is 60 s (callbacksOnly): a variation waiting for it would not finish within the test.
        try await Harness.with(polling: E2E.callbacksOnly) { harness in
            let (parent, _) = try await harness.submitted()
            #expect(try await harness.waitSettled(parent).status == .succeeded)
            let reply = try await harness.local("POST", "/v1/generations/\(parent)/variations", json: "{}")
            #expect(reply.status == 202, "\(reply.text)")
            let row = try E2E.row(reply.json)
            let variation = try await harness.record(row)
            let variationID = try #require(variation.generationID)
            #expect(await harness.sandbox.sandbox.webhooks()[variationID] == nil, "no webhook was sent with the variation")
            // As the 202 shows it: by the time the record is read, the first poll may already have ended it.
            let firstPoll = try #require((reply.json["next_poll_at"] as? String).flatMap(StoreFormat.date(fromTimestamp:)))
            #expect(abs(firstPoll.timeIntervalSince(variation.createdAt) - 0.020) < 0.002, "first poll at created + initial_interval")
            let done = try await harness.waitSettled(row)
            #expect(done.status == .succeeded)
            #expect(done.resolvedBy == .poll)
        }
    }

    @Test("with callbacks.variation_webhook on, a variation gets its callback URL and waits for it like a generation", arguments: StoreBackend.available)
    func variationWebhook(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: E2E.sandbox { $0.variationCallbacks = true }, polling: E2E.callbacksOnly,
                               adjust: { $0.variationWebhook = true }) { harness in
            let (parent, _) = try await harness.submitted()
            #expect(try await harness.waitSettled(parent).status == .succeeded)
            let reply = try await harness.local("POST", "/v1/generations/\(parent)/variations", json: "{}")
            let row = try E2E.row(reply.json)
            let variationID = try #require(try await harness.record(row).generationID)
            #expect(await harness.sandbox.sandbox.webhooks()[variationID] != nil)
            let done = try await harness.waitSettled(row)
            #expect(done.resolvedBy == .callback)
        }
    }
}
