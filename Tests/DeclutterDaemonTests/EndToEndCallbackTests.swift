import DeclutterAPI
import DeclutterSandbox
import DeclutterStore
import Foundation
import TestSupport
import Testing

/// Generations resolved by their callbacks over real sockets: no polling, duplicates and reorders
/// absorbed by the transition rule, a callback that beats the generate response.
@Suite("End to end: callbacks")
struct EndToEndCallbackTests {
    @Test("a delivered callback resolves the generation with zero retrieval calls", arguments: StoreBackend.available)
    func resolvedByCallback(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, polling: E2E.callbacksOnly) { harness in
            let (row, generationID) = try await harness.submitted()
            let done = try await harness.waitTerminal(row)
            #expect(done["status"] as? String == "SUCCEEDED")
            #expect(done["resolved_by"] as? String == "callback")
            #expect((done["images"] as? [String])?.count == 2)

            let record = try await harness.record(row)
            #expect(record.status == .succeeded)
            #expect(record.resolvedBy == .callback)
            #expect(record.nextPollAt == nil, "a terminal generation is never polled again")
            #expect(record.pollAttempts == 0)
            let counters = await harness.sandbox.sandbox.counters()
            #expect(counters.retrievalCallsByGeneration[generationID] == nil)
            #expect(counters.retrievalCalls == 0)
            #expect(counters.callbacksSent == 2, "PROCESSING and SUCCEEDED")
            #expect(counters.callbackDeliveryFailures == 0)
            let outcomes = try await harness.database.events(forRow: row).map { "\($0.source.rawValue):\($0.outcome.rawValue)" }
            #expect(outcomes.filter { $0.hasPrefix("poll") }.isEmpty)
            #expect(outcomes.contains("callback:applied"))
        }
    }

    @Test("duplicated and reordered callbacks: one final state, the duplicate and the stale updates recorded")
    func duplicatedAndReordered() async throws {
        let sandbox = E2E.sandbox {
            $0.faults.callbackDuplicate = 1
            $0.faults.callbackReorder = 1
        }
        try await Harness.with(sandbox: sandbox, polling: E2E.callbacksOnly) { harness in
            let (row, generationID) = try await harness.submitted()
            // SUCCEEDED twice, then the held-back PROCESSING twice: four callbacks, each acknowledged only once stored.
            let arrived = try await eventually { try await harness.countEvents(where: "generation = ? AND source = 'callback'", [.integer(row)]) == 4 }
            #expect(arrived)

            let record = try await harness.record(row)
            #expect(record.status == .succeeded)
            #expect(record.resolvedBy == .callback)
            #expect(record.images?.count == 2)
            #expect(record.nextPollAt == nil)

            let callbacks = try await harness.database.events(forRow: row).filter { $0.source == .callback }
            let summary = callbacks.map { "\($0.statusReported?.rawValue ?? "-"):\($0.outcome.rawValue)" }
            #expect(summary == ["SUCCEEDED:applied", "SUCCEEDED:duplicate", "PROCESSING:stale", "PROCESSING:stale"])
            #expect(callbacks.allSatisfy { $0.statusBefore != .processing }, "PROCESSING never applied after SUCCEEDED")

            let counters = await harness.sandbox.sandbox.counters()
            #expect(counters.callbacksSent == 4)
            #expect(counters.callbacksReordered == 1)
            #expect(counters.callbackDeliveryFailures == 0, "a duplicate and a stale callback are still acknowledged 2xx")
            #expect(counters.retrievalCallsByGeneration[generationID] == nil)
        }
    }

    @Test("a callback that beats the generate response is accepted and applied; the response is then stale", arguments: StoreBackend.available)
    func callbackBeforeAnswer(_ backend: StoreBackend) async throws {
        let sandbox = E2E.sandbox { $0.callbackBeforeAnswer = true }
        try await Harness.with(backend: backend, sandbox: sandbox, polling: E2E.callbacksOnly) { harness in
            let record = try await harness.submit()
            // The PROCESSING callback was stored before the generate answer came back, and the answer did not
            // take the generation back to STARTING. (On a loaded machine the SUCCEEDED callback, due ~20–50 ms
            // after the answer left the sandbox, may even be stored before the daemon records that answer.)
            #expect(["PROCESSING", "SUCCEEDED"].contains(record["status"] as? String ?? ""), "got \(record["status"] ?? "nil")")
            let row = try E2E.row(record)
            let generationID = try #require(E2E.string(record, "generation_id"))
            #expect(record["project_id"] as? String != nil)
            #expect(record["remaining_photos"] as? Int == 99)

            let done = try await harness.waitTerminal(row)
            #expect(done["status"] as? String == "SUCCEEDED")
            #expect(done["resolved_by"] as? String == "callback")

            let events = try await harness.database.events(forRow: row)
            let trail = events.map { "\($0.source.rawValue):\($0.statusBefore?.rawValue ?? "-")>\($0.statusReported?.rawValue ?? "-"):\($0.outcome.rawValue)" }
            #expect(trail.first == "callback:SUBMITTING>PROCESSING:applied", "the early callback came first: \(trail)")
            #expect(trail.contains("callback:PROCESSING>SUCCEEDED:applied"), "\(trail)")
            let answer = events.filter { $0.source == .submission }
            #expect(answer.count == 1)
            #expect(answer.first?.outcome == .stale, "the generate answer (STARTING) is older news than the callback")
            #expect(answer.first?.statusReported == .starting)
            #expect(answer.first?.httpStatus == 200)
            #expect(events.count == 3)
            // Nothing the early callback or the late answer brought was lost.
            let stored = try await harness.record(row)
            #expect(stored.generationID.map(StoreFormat.uuid) == generationID)
            #expect(stored.projectID != nil)
            #expect(stored.remainingPhotos == 99, "the answer was not recorded: \(answer.first?.reason ?? "-")")
            #expect(stored.submittedAt != nil)
            #expect(stored.images?.count == 2)
            #expect(try await harness.database.latestQuota()?.remainingPhotos == 99)
            #expect(await harness.retrievals(of: generationID) == 0)
        }
    }

    @Test("retrieval calls per generation: 0 when the terminal callback arrives, 1 when it was dropped")
    func retrievalsPerGeneration() async throws {
        let sandbox = E2E.sandbox(seed: 7) { $0.faults.callbackDrop = 0.5 }
        let clock = ManualClock()
        try await Harness.with(sandbox: sandbox, polling: E2E.pollAfterJob, clock: .following(clock, from: Date())) { harness in
            var submitted: [(row: Int64, generationID: String)] = []
            for index in 0..<8 { submitted.append(try await harness.submitted(image: "https://images.example/room-\(index).jpg")) }
            try await harness.pollAfterTheJobs(submitted, clock: clock)
            for generation in submitted {
                #expect(try await harness.record(generation.row).status == .succeeded)
            }
            let fates = await harness.sandbox.sandbox.callbackFates()
            var dropped = 0
            for generation in submitted {
                let terminal = try #require(fates.first { StoreFormat.uuid($0.generationID) == generation.generationID && $0.status.isTerminal })
                let record = try await harness.record(generation.row)
                let calls = await harness.retrievals(of: generation.generationID)
                let polls = try await harness.countEvents(where: "generation = ? AND source = 'poll'", [.integer(generation.row)])
                #expect(calls == polls, "every retrieval call is an event")
                if terminal.dropped {
                    dropped += 1
                    // The job ends ~60 ms in; the first poll is due after the grace: one call finds it done.
                    #expect(calls == 1)
                    #expect(record.resolvedBy == .poll)
                } else {
                    #expect(calls == 0)
                    #expect(record.resolvedBy == .callback)
                }
            }
            #expect(dropped > 0 && dropped < submitted.count, "seed 7 drops some terminal callbacks, not all")
        }
    }
}
