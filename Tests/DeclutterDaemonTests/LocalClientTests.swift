import DeclutterDaemon
import DeclutterSandbox
import DeclutterWire
import Foundation
import LocalClient
import TestSupport
import Testing

@Suite("LocalAPIClient against a real daemon", .timeLimit(.minutes(3)))
struct LocalClientTests {
    @Test("submit, wait, show, list with a status filter, events and stats", arguments: StoreBackend.available)
    func roundTrip(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            try await LocalAPIClient.with(try LocalEndpoint(harness.daemon.localURL)) { client in
                // Given a submitted generation
                let submitted = try await client.submit(imageURL: "https://images.example/room.jpg", auto: true, maskURL: nil)
                #expect(submitted.httpStatus == 202)
                #expect(submitted.value.kind == "generation")
                #expect(submitted.value.isPending)
                #expect(String(decoding: submitted.body, as: UTF8.self).contains("\"image_url\":\"https://images.example/room.jpg\""))
                let id = String(submitted.value.id)

                // When it is waited for
                var seen: [String] = []
                let settled = try await client.waitUntilSettled(id, step: 0.5) { seen.append($0.status) }

                // Then it succeeded, and every read agrees
                #expect(settled.value.status == "SUCCEEDED")
                #expect(seen.last == "SUCCEEDED")
                #expect(!settled.value.images.isEmpty)
                // (The archive goes on after SUCCEEDED: its fields, the version and updated_at may have moved since.)
                let shown = try await client.generation(id)
                #expect(shown.value.status == settled.value.status && shown.value.images == settled.value.images
                        && shown.value.completedAt == settled.value.completedAt && shown.value.generationID == settled.value.generationID)
                let byUUID = try await client.generation(try #require(settled.value.generationID))
                #expect(byUUID.value.id == settled.value.id)

                let succeeded = try await client.generations(GenerationQuery(status: "SUCCEEDED"))
                #expect(succeeded.value.generations.map(\.id) == [settled.value.id])
                let failed = try await client.generations(GenerationQuery(status: "FAILED"))
                #expect(failed.value.generations.isEmpty)

                let events = try await client.events(id)
                #expect(events.value.generationID == settled.value.generationID)
                #expect(!events.value.events.isEmpty)

                let stats = try await client.stats()
                #expect(stats.value.counts["succeeded"] == 1)
                #expect(stats.value.pending == 0)
                #expect(stats.value.resolvedBy.callback + stats.value.resolvedBy.poll == 1)
                #expect(stats.value.remainingPhotos != nil)
            }
        }
    }

    @Test("a repeated Idempotency-Key replays the first submission", arguments: StoreBackend.available)
    func idempotencyReplay(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            try await LocalAPIClient.with(try LocalEndpoint(harness.daemon.localURL)) { client in
                let first = try await client.submit(imageURL: "https://images.example/a.jpg", auto: true, maskURL: nil, idempotencyKey: "k-1")
                let second = try await client.submit(imageURL: "https://images.example/a.jpg", auto: true, maskURL: nil, idempotencyKey: "k-1")
                #expect(!first.replayed)
                #expect(second.replayed)
                #expect(second.value.id == first.value.id)
            }
        }
    }

    @Test("a 404 is the not-found error (exit 66); a 400 is a failure (exit 1) with the API's code", arguments: StoreBackend.available)
    func apiErrors(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            try await LocalAPIClient.with(try LocalEndpoint(harness.daemon.localURL)) { client in
                let missing = await #expect(throws: LocalClientError.self) { try await client.generation("999999") }
                #expect(missing?.kind == .notFound)
                #expect(missing?.exitCode == 66)
                #expect(missing?.code == "not_found")
                #expect(missing?.description == "no such generation (not_found)")

                let invalid = await #expect(throws: LocalClientError.self) { try await client.generations(GenerationQuery(status: "BOGUS")) }
                #expect(invalid?.exitCode == 1)
                #expect(invalid?.code == "invalid_status")
            }
        }
    }

    @Test("nothing listening is the unreachable error (exit 69), at once")
    func unreachable() async throws {
        let started = ContinuousClock.now
        let error = await #expect(throws: LocalClientError.self) {
            try await LocalAPIClient.with(try LocalEndpoint("http://127.0.0.1:1")) { try await $0.stats() }
        }
        #expect(error?.kind == .unreachable)
        #expect(error?.exitCode == 69)
        #expect(error?.message.hasPrefix("cannot reach the daemon at http://127.0.0.1:1") == true)
        #expect(ContinuousClock.now - started < .seconds(30), "a refused connection is answered at once, not retried")
    }

    @Test("the local API is reachable over a unix socket", arguments: StoreBackend.available)
    func unixSocket(_ backend: StoreBackend) async throws {
        let socket = NSTemporaryDirectory() + "declutterd-\(UUID().uuidString.prefix(8)).sock"
        try await Harness.with(backend: backend, adjust: { $0.localSocket = socket }) { _ in
            for url in ["unix://" + socket, "http+unix://" + socket.replacingOccurrences(of: "/", with: "%2F")] {
                let stats = try await LocalAPIClient.with(try LocalEndpoint(url)) { try await $0.stats() }
                #expect(stats.value.pending == 0, "via \(url)")
            }
        }
        try? FileManager.default.removeItem(atPath: socket)
    }
}

extension LocalClientTests {
@Suite("Local client: pure parts")
struct Pure {
    @Test("columns are as wide as their widest cell; right alignment pads on the left; no trailing spaces")
    func alignment() {
        let text = TableRenderer.render(header: ["ID", "STATUS", "N"], rows: [["7", "SUCCEEDED", "3"], ["123", "FAILED", "10"]],
                                        alignments: [.right, .left, .right])
        #expect(text == """
             ID  STATUS      N
              7  SUCCEEDED   3
            123  FAILED     10
            """)
        #expect(!text.split(separator: "\n").contains { $0.hasSuffix(" ") })
    }

    @Test("an empty table is its header; no header and no rows is empty; short rows are padded")
    func emptyAndShort() {
        #expect(TableRenderer.render(header: ["ID", "STATUS"], rows: []) == "ID  STATUS")
        #expect(TableRenderer.render(rows: []) == "")
        #expect(TableRenderer.render(header: ["A", "B", "C"], rows: [["long"]]) == "A     B  C\nlong")
        #expect(TableRenderer.keyValue([("pending", "2"), ("polls in flight", "0")]) == "pending          2\npolls in flight  0")
    }

    @Test("--url: http(s), unix:// and http+unix:// are accepted; anything else is a usage error")
    func endpoints() throws {
        #expect(try LocalEndpoint("http://127.0.0.1:8788/").url("/v1/stats") == "http://127.0.0.1:8788/v1/stats")
        #expect(try LocalEndpoint("unix:///run/declutterd/api.sock").url("/v1/stats") == "http+unix://%2Frun%2Fdeclutterd%2Fapi.sock/v1/stats")
        #expect(try LocalEndpoint("http+unix://%2Frun%2Fapi.sock").url("/healthz") == "http+unix://%2Frun%2Fapi.sock/healthz")
        for bad in ["ftp://host", "127.0.0.1:8788", "http://", "unix://"] {
            let error = #expect(throws: LocalClientError.self, "\(bad)") { try LocalEndpoint(bad) }
            #expect(error?.exitCode == 64)
        }
    }

    @Test("--since takes an ISO-8601 time as is, or an age counted back from now")
    func since() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(GenerationQuery.sinceTimestamp("2026-11-24T10:00:00Z", now: now) == "2026-11-24T10:00:00Z")
        #expect(GenerationQuery.sinceTimestamp("2h", now: now) == "2027-01-15T06:00:00.000Z")
        #expect(GenerationQuery.sinceTimestamp("90s", now: now) == "2027-01-15T07:58:30.000Z")
        #expect(GenerationQuery.sinceTimestamp("yesterday", now: now) == nil)
        #expect(GenerationQuery.sinceTimestamp("-1h", now: now) == nil)
    }

    @Test("the progress line is rewritten in place on a terminal, one line per change otherwise")
    func progress() throws {
        let starting = try Self.generation(status: "STARTING")
        let done = try Self.generation(status: "SUCCEEDED")
        var lines = ProgressLine(inPlace: false)
        #expect(lines.update(starting, elapsed: 0.1) == "generation 7 (3f2a9c1e): STARTING after 0.1s\n")
        #expect(lines.update(starting, elapsed: 1.1) == nil)
        #expect(lines.update(done, elapsed: 2.5) == "generation 7 (3f2a9c1e): SUCCEEDED after 2.5s\n")
        #expect(lines.finish == "")

        var inPlace = ProgressLine(inPlace: true)
        #expect(inPlace.update(starting, elapsed: 61) == "\rgeneration 7 (3f2a9c1e): STARTING after 1m01s")
        #expect(inPlace.update(done, elapsed: 62) == "\rgeneration 7 (3f2a9c1e): SUCCEEDED after 1m02s")
        #expect(inPlace.update(starting, elapsed: 63) == "\rgeneration 7 (3f2a9c1e): STARTING after 1m03s ")
        #expect(inPlace.finish == "\n")
    }

    @Test("durations read as 3.2s, 4m05s, 2h03m, 1d04h")
    func durations() {
        #expect(DurationText.approximate(seconds: 3.24) == "3.2s")
        #expect(DurationText.approximate(seconds: 245) == "4m05s")
        #expect(DurationText.approximate(seconds: 7380) == "2h03m")
        #expect(DurationText.approximate(seconds: 100_800) == "1d04h")
    }

    @Test("the generations table shows the short generation id, the time to the second, and `-` for what is missing")
    func generationsTable() throws {
        let table = ClientReport.generations([try Self.generation(status: "SUCCEEDED", resolvedBy: "poll"), try Self.generation(status: "STARTING")])
        #expect(table == """
            ID  GENERATION  STATUS     KIND        CREATED              RESOLVED BY  IMAGES
             7  3f2a9c1e    SUCCEEDED  generation  2026-11-24 10:00:03  poll              1
             7  3f2a9c1e    STARTING   generation  2026-11-24 10:00:03  -                 1
            """)
    }

    static func generation(status: String, resolvedBy: String? = nil) throws -> LocalGeneration {
        let json = """
            {"id": 7, "generation_id": "3f2a9c1e-0000-4000-8000-000000000001", "kind": "generation", "status": "\(status)",
             "images": ["https://cdn.example/1.jpg"], "refunded": false, "resolved_by": \(resolvedBy.map { "\"\($0)\"" } ?? "null"),
             "created_at": "2026-11-24T10:00:03.120Z", "updated_at": "2026-11-24T10:00:04.000Z", "poll_attempts": 0, "version": 2}
            """
        return try JSONDecoder().decode(LocalGeneration.self, from: Data(json.utf8))
    }
}
}
