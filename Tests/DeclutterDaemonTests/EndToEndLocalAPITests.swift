import DeclutterAPI
@testable import DeclutterDaemon
import DeclutterSandbox
import DeclutterStore
import Foundation
import TestSupport
import Testing

/// The local API end to end: idempotent submissions, `?wait=`, variations and projects.
@Suite("End to end: local API")
struct EndToEndLocalAPITests {
    @Test("the same Idempotency-Key twice: one generation, one photo, the first answer replayed", arguments: StoreBackend.available)
    func idempotencyKey(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            let body = #"{"image_url": "https://images.example/room.jpg", "auto": true}"#
            let first = try await harness.local("POST", "/v1/generations", json: body, headers: ["Idempotency-Key": "listing-42"])
            #expect(first.status == 202)
            #expect(first.header("Idempotent-Replayed") == nil)
            let second = try await harness.local("POST", "/v1/generations", json: body, headers: ["Idempotency-Key": "listing-42"])
            #expect(second.status == 202)
            #expect(second.header("Idempotent-Replayed") == "true")
            #expect(second.json["id"] as? Int == first.json["id"] as? Int)
            #expect(second.json["generation_id"] as? String == first.json["generation_id"] as? String)
            #expect(first.json["generation_id"] as? String != nil)

            let other = #"{"image_url": "https://images.example/another-room.jpg", "auto": true}"#
            let reused = try await harness.local("POST", "/v1/generations", json: other, headers: ["Idempotency-Key": "listing-42"])
            #expect(reused.status == 422)
            #expect(E2E.errorCode(reused) == "idempotency_key_reused")

            let counts = try await harness.rowCounts()
            #expect(counts["generations"] == 1)
            #expect(counts["idempotency_keys"] == 1)
            #expect(counts["quota_history"] == 1)
            let sandbox = harness.sandbox.sandbox
            #expect(await sandbox.remainingPhotos() == sandbox.configuration.initialQuota - 1)
            let counters = await sandbox.counters()
            #expect(counters.generateCalls == 1)
            #expect(counters.photosSpent == 1)
        }
    }

    @Test("?wait= returns as soon as the generation turns terminal", arguments: StoreBackend.available)
    func waitReturnsOnTerminal(_ backend: StoreBackend) async throws {
        let gate = SandboxGate()
        let sandbox = E2E.sandbox { $0.completionGate = gate }
        try await Harness.with(backend: backend, sandbox: sandbox) { harness in
            let record = try await harness.submit()
            // PROCESSING when the job's first callback beat the recording of the answer (a loaded machine).
            #expect(["STARTING", "PROCESSING"].contains(record["status"] as? String ?? ""))
            // Given a request holding on the generation while the job is held at the gate
            let row = try E2E.row(record)
            let started = ContinuousClock.now
            let waiting = Task { try await harness.local("GET", "/v1/generations/\(row)?wait=60") }
            try await eventually("the request holding") { harness.daemon.daemon.poller.watch.waiting == 1 }
            // When the job ends
            gate.release()
            // Then the request answers with the terminal record, long before its 60 s (a timeout would answer PROCESSING)
            let reply = try await waiting.value
            #expect(reply.status == 200)
            #expect(reply.json["status"] as? String == "SUCCEEDED")
            #expect(ContinuousClock.now - started < .seconds(30), "answered on the change, not at the end of its wait")
        }
    }

    @Test("?wait= on an already terminal generation answers at once; out-of-range waits are refused", arguments: StoreBackend.available)
    func waitEdges(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            let (row, _) = try await harness.submitted()
            _ = try await harness.waitTerminal(row)
            let started = ContinuousClock.now
            let reply = try await harness.local("GET", "/v1/generations/\(row)?wait=60")
            #expect(reply.json["status"] as? String == "SUCCEEDED")
            #expect(ContinuousClock.now - started < .seconds(30), "answered at once, not at the end of its 60 s wait")
            let tooLong = try await harness.local("GET", "/v1/generations/\(row)?wait=61")
            #expect(tooLong.status == 400)
        }
    }

    @Test("a variation with {} reuses the parent's image and joins the parent's project (called back, before or after the answer)",
          arguments: [false, true])
    func variation(callbackBeforeAnswer: Bool) async throws {
        // An account whose service calls back for variations too (callbacks.variation_webhook).
        let sandbox = E2E.sandbox {
            $0.callbackBeforeAnswer = callbackBeforeAnswer
            $0.variationCallbacks = true
        }
        try await Harness.with(sandbox: sandbox, polling: E2E.callbacksOnly, adjust: { $0.variationWebhook = true }) { harness in
            let image = "https://images.example/living-room.png"
            let parent = try await harness.submit(image: image)
            let parentRow = try E2E.row(parent)
            let parentDone = try await harness.waitTerminal(parentRow)
            #expect(parentDone["status"] as? String == "SUCCEEDED")
            let projectID = try #require(parentDone["project_id"] as? String)

            let reply = try await harness.local("POST", "/v1/generations/\(parentRow)/variations", json: "{}")
            #expect(reply.status == 202)
            let variation = reply.json
            #expect(variation["kind"] as? String == "variation")
            #expect(variation["image_url"] as? String == image)
            #expect(variation["parent_generation_id"] as? String == parent["generation_id"] as? String)
            #expect(variation["project_id"] as? String == projectID)
            #expect(variation["generation_id"] as? String != parent["generation_id"] as? String)

            let done = try await harness.waitTerminal(try E2E.row(variation))
            #expect(done["status"] as? String == "SUCCEEDED")
            #expect(done["resolved_by"] as? String == "callback")

            let project = try await harness.local("GET", "/v1/projects/\(projectID)")
            #expect(project.status == 200)
            #expect(project.json["variations_count"] as? Int == 1)
            let members = (project.json["generations"] as? [[String: Any]] ?? []).compactMap { $0["generation_id"] as? String }
            #expect(members == [parent["generation_id"] as? String, variation["generation_id"] as? String].compactMap { $0 })

            let counters = await harness.sandbox.sandbox.counters()
            #expect(counters.generateCalls == 1)
            #expect(counters.variationCalls == 1)
            #expect(counters.retrievalCalls == 0)
            #expect(done["variations"] as? Int == 1, "the sandbox reports the project's variation count")
        }
    }
}

@Suite("End to end: the events trail, a page at a time")
struct EventPagingTests {
    @Test("events come in pages of limit, oldest first, with next_cursor until the end; bad limits and cursors are 400", arguments: StoreBackend.available)
    func paging(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: E2E.silentSandbox, polling: E2E.callbacksOnly) { harness in
            let (row, _) = try await harness.submitted()
            let url = try await EndToEndCallbackOptionsTests.callbackURL(harness)
            for _ in 0..<6 {
                _ = try await Harness.send("POST", url, body: Data(#"{"status": "PROCESSING"}"#.utf8))
            }
            var ids: [Int] = []
            var cursor: String?
            var pages = 0
            repeat {
                let reply = try await harness.local("GET", "/v1/generations/\(row)/events?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(reply.status == 200, "\(reply.text)")
                let events = reply.json["events"] as? [[String: Any]] ?? []
                #expect(events.count <= 3)
                ids += events.compactMap { $0["id"] as? Int }
                cursor = reply.json["next_cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            let all = try await harness.database.events(forRow: row).compactMap(\.id).map(Int.init)
            #expect(ids == all, "every event once, in order")
            #expect(pages == (all.count + 2) / 3)
            for bad in ["limit=0", "limit=501", "limit=x", "cursor=0", "cursor=-4", "cursor=abc"] {
                let reply = try await harness.local("GET", "/v1/generations/\(row)/events?\(bad)")
                #expect(reply.status == 400, "\(bad)")
            }
        }
    }
}
