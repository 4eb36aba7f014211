import DeclutterAPI
import DeclutterDaemon
import DeclutterSandbox
import DeclutterStore
import Foundation
import GRDB
import Hummingbird
import LocalClient
import NIOFoundationCompat
import Synchronization
import TestSupport
import Testing

/// `submit` and `vary` always carry an Idempotency-Key, and a launch whose answer is lost is sent again under
/// it: a client that gives up and retries never spends twice (docs/local-api.md).
@Suite("Idempotency-Key by default, and the retry of a lost answer", .timeLimit(.minutes(1)))
struct LaunchRetryTests {
    static let quickRetry = LaunchRetry(attempts: 3, backoff: .milliseconds(20))

    @Test("an answer that does not come in time is asked for again with the same key and body")
    func timeoutRetriedWithTheSameKey() async throws {
        try await SwallowingServer.with(swallow: 1) { server in
            // The swallowed attempt always times out; the answered one has five seconds, far more than any busy machine takes
            // to answer it (a second was not always enough: a third attempt was made).
            let reply = try await LocalAPIClient.with(try LocalEndpoint(server.baseURL), callTimeout: .seconds(5), launchRetry: Self.quickRetry) {
                try await $0.submit(imageURL: "https://images.example/room.jpg", auto: true, maskURL: nil, idempotencyKey: "k-retry")
            }
            #expect(reply.value.id == 7)
            #expect(reply.replayed)
            let requests = server.requests
            #expect(requests.count == 2)
            #expect(requests.map(\.key) == ["k-retry", "k-retry"])
            #expect(requests[0].body == requests[1].body)
        }
    }

    @Test("when every answer is lost: the given number of attempts, then exit 69 naming the key to retry with")
    func attemptsExhausted() async throws {
        try await SwallowingServer.with(swallow: 10) { server async throws in
            let error = await #expect(throws: LocalClientError.self) {
                try await LocalAPIClient.with(try LocalEndpoint(server.baseURL), callTimeout: .milliseconds(200), launchRetry: Self.quickRetry) {
                    try await $0.vary("7", maskURL: nil, originalURL: nil, idempotencyKey: "k-lost")
                }
            }
            // The client says it made three attempts. The server sees each one that reached it before the client gave up
            // on it (200 ms: on a loaded machine the last may not), never more, each with the same key.
            #expect((1...3).contains(server.requests.count), "\(server.requests.count) requests")
            #expect(server.requests.allSatisfy { $0.key == "k-lost" })
            #expect(error?.exitCode == 69)
            #expect(error?.code == LocalClientError.noAnswer)
            #expect(error?.message == "no answer from the daemon at \(server.baseURL) within 0.2s "
                + "(3 attempts; to retry without spending twice, send it again with --idempotency-key k-lost)")
        }
    }

    @Test("without a key a launch is sent once; a refused connection is not retried, key or not")
    func onlyWithAKeyAndOnlyWhenSent() async throws {
        try await SwallowingServer.with(swallow: 10) { server in
            let error = await #expect(throws: LocalClientError.self) {
                try await LocalAPIClient.with(try LocalEndpoint(server.baseURL), callTimeout: .milliseconds(200), launchRetry: Self.quickRetry) {
                    try await $0.submit(imageURL: "https://images.example/room.jpg", auto: true, maskURL: nil)
                }
            }
            #expect(server.requests.count == 1)
            #expect(error?.code == LocalClientError.noAnswer)
        }
        let started = ContinuousClock.now
        let refused = await #expect(throws: LocalClientError.self) {
            try await LocalAPIClient.with(try LocalEndpoint("http://127.0.0.1:1"), launchRetry: LaunchRetry(attempts: 3, backoff: .seconds(60))) {
                try await $0.submit(imageURL: "https://images.example/room.jpg", auto: true, maskURL: nil, idempotencyKey: "k-refused")
            }
        }
        #expect(refused?.code == "unreachable")
        #expect(ContinuousClock.now - started < .seconds(30), "a refused connection sent nothing: no retry, no 60 s pause")
    }

    @Test("against the daemon: the retry of a timed-out submission returns the first generation; one photo is spent")
    func daemonReplaysTheFirstAttempt() async throws {
        // The first generate is held until the test lets it go (the daemon never cuts it short): the client's first
        // attempt times out whatever the machine's pace, and its retry has the same long timeout to be answered in.
        let upstreamCall = SandboxGate()
        var sandbox = SandboxConfiguration.fast()
        sandbox.faults.timeout = 1
        sandbox.faults.hangGate = upstreamCall
        sandbox.faults.faultyEndpoints = [.generate]
        try await Harness.with(sandbox: sandbox, adjust: { $0.upstream.requestTimeout = .seconds(300) }) { harness in
            let reply = try await LocalAPIClient.with(try LocalEndpoint(harness.daemon.localURL), callTimeout: .seconds(5),
                                                      launchRetry: Self.quickRetry) {
                try await $0.submit(imageURL: "https://images.example/room.jpg", auto: true, maskURL: nil, idempotencyKey: "k-slow")
            }
            #expect(reply.replayed, "the second attempt found the first one's key")
            upstreamCall.release()
            let settled = try await harness.waitTerminal(reply.value.id)
            #expect(settled["status"] as? String == "SUCCEEDED")
            #expect(await harness.sandbox.sandbox.counters().generateCalls == 1)
            #expect(try await harness.sqlite.count(sql: "SELECT count(*) FROM generations") == 1)
        }
    }

    @Test("declutterd submit and vary send a new key, shown on stderr; the key repeated by hand returns the first generation")
    func cliSendsAKey() async throws {
        try await Harness.with { harness in
            let url = harness.daemon.localURL
            let submit = try await CLI.run(["submit", "https://images.example/room.jpg", "--auto", "--json", "--url", url])
            #expect(submit.status == 0, "\(submit)")
            let key = try #require(Self.announcedKey(submit), "\(submit)")
            #expect(key.hasPrefix("cli-") && UUID(uuidString: String(key.dropFirst(4))) != nil, "\(key)")
            let record = try #require(try JSONSerialization.jsonObject(with: Data(submit.stdout.utf8)) as? [String: Any], "\(submit)")
            let id = try #require(record["id"] as? Int)

            let keys = try await harness.sqlite.read { db in
                try Row.fetchAll(db, sql: "SELECT key, generation FROM idempotency_keys").map { "\($0["key"] as String)=\($0["generation"] as Int)" }
            }
            #expect(keys == ["\(key)=\(id)"])

            // A person repeats it by hand with the key: the first generation, nothing spent.
            let again = try await CLI.run(["submit", "https://images.example/room.jpg", "--auto", "--idempotency-key", key, "--url", url])
            #expect(again.status == 0, "\(again)")
            #expect(again.stderr.contains("replayed: this Idempotency-Key was used before"), "\(again)")
            #expect(Self.announcedKey(again) == nil, "a given key is not announced: \(again)")
            #expect(await harness.sandbox.sandbox.counters().generateCalls == 1)

            _ = try await harness.waitTerminal(id)
            let vary = try await CLI.run(["vary", String(id), "--json", "--url", url])
            #expect(vary.status == 0, "\(vary)")
            let varyKey = try #require(Self.announcedKey(vary), "\(vary)")
            #expect(varyKey != key)
            let stored = try await harness.sqlite.read { db in try String.fetchAll(db, sql: "SELECT key FROM idempotency_keys ORDER BY key") }
            #expect(stored == [key, varyKey].sorted())
        }
    }

    /// The key `submit` or `vary` made and showed on stderr.
    static func announcedKey(_ run: CLI.Run) -> String? {
        run.stderr.split(separator: "\n").first { $0.hasPrefix("Idempotency-Key: ") }.map { String($0.dropFirst("Idempotency-Key: ".count)) }
    }
}

extension AppDatabase {
    /// A number the query counts.
    func count(sql: String) async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
    }
}

/// A stand-in local API whose first `swallow` launches get no answer (the handler holds them until the test
/// ends); the next is answered 202, replayed, with generation 7.
struct SwallowingServer: Sendable {
    struct Seen: Sendable {
        let key: String?
        let body: Data
    }

    private let server: LoopbackServer
    private let recorder: Recorder

    var baseURL: String { server.baseURL }
    var requests: [Seen] { recorder.state.withLock { $0.seen } }

    static func with<T>(swallow: Int, _ body: (SwallowingServer) async throws -> T) async throws -> T {
        let recorder = Recorder(swallow: swallow)
        let router = Router()
        router.post("/v1/generations") { request, _ in try await recorder.answer(request) }
        router.post("/v1/generations/{id}/variations") { request, _ in try await recorder.answer(request) }
        let stand = SwallowingServer(server: await LoopbackServer.start(router), recorder: recorder)
        return try await using(stand, stop: { stand in
            stand.recorder.state.withLock { $0.done = true }
            await stand.server.stop()
        }, body)
    }

    final class Recorder: Sendable {
        let state = Mutex<(seen: [Seen], done: Bool)>(([], false))
        let swallow: Int

        init(swallow: Int) { self.swallow = swallow }

        func answer(_ request: Request) async throws -> Response {
            let body = Data(buffer: try await request.body.collect(upTo: 1 << 16))
            let number = state.withLock { state -> Int in
                state.seen.append(Seen(key: request.headers[.init("Idempotency-Key")!], body: body))
                return state.seen.count
            }
            if number <= swallow {
                // Held until the test ends (or 5 s): the client gives up first.
                let deadline = ContinuousClock.now + .seconds(5)
                while !state.withLock({ $0.done }), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            }
            let record = #"""
                {"id": 7, "generation_id": "3f2a9c1e-0000-4000-8000-000000000001", "kind": "generation", "status": "STARTING",
                 "images": [], "refunded": false, "resolved_by": null,
                 "created_at": "2026-11-24T10:00:03.120Z", "updated_at": "2026-11-24T10:00:04.000Z", "poll_attempts": 0, "version": 2}
                """#
            return Response(status: .accepted, headers: [.contentType: "application/json", .init("Idempotent-Replayed")!: "true"],
                            body: .init(byteBuffer: ByteBuffer(string: record)))
        }
    }
}
