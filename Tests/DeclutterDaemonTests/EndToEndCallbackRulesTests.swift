import AsyncHTTPClient
import DeclutterAPI
import DeclutterSandbox
import DeclutterStore
import Foundation
import NIOCore
import NIOFoundationCompat
import TestSupport
import Testing

/// What the public callback listener refuses, over real sockets: each refusal has its status and a JSON
/// error naming the rule, and no refusal changes a generation.
@Suite("End to end: callback refusals")
struct EndToEndCallbackRulesTests {
    /// A generation that stays STARTING (callbacks dropped, the job never moves, no poll due) and the
    /// capability URL the sandbox was given for it.
    private static func quietGeneration(_ harness: Harness) async throws -> (row: Int64, generationID: String, webhook: String) {
        let (row, generationID) = try await harness.submitted()
        let id = try #require(UUID(uuidString: generationID))
        let webhook = try #require(await harness.sandbox.sandbox.webhooks()[id])
        #expect(webhook.hasPrefix(harness.daemon.callbackBaseURL + "/callbacks/"))
        return (row, generationID, webhook)
    }

    private static let quietSandbox = E2E.sandbox {
        $0.faults.callbackDrop = 1
        $0.startDelay = .seconds(3600)
    }
    private static let noPolling = E2E.polling { $0.callbackGrace = .seconds(3600) }

    @Test("invalid payloads to a known token: 400 naming the rule, a rejected event, the generation unchanged", arguments: StoreBackend.available)
    func invalidPayloads(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: Self.quietSandbox, polling: Self.noPolling) { harness in
            let (row, generationID, webhook) = try await Self.quietGeneration(harness)
            let before = try await harness.record(row)
            let cases: [(String, Data, PayloadRule)] = [
                ("malformed JSON", Data(#"{"status": "SUCCEEDED", "images": ["#.utf8), .bodyNotJSON),
                ("a wrong status", Data(#"{"status": "DONE"}"#.utf8), .statusInvalid),
                ("SUCCEEDED without images", Data(#"{"status": "SUCCEEDED"}"#.utf8), .imagesMissing),
                ("a mismatched generation_id",
                 Data(#"{"status": "PROCESSING", "generation_id": "\#(StoreFormat.uuid(UUID()))"}"#.utf8), .generationIDMismatch),
            ]
            for (name, body, rule) in cases {
                let reply = try await Harness.send("POST", webhook, body: body)
                #expect(reply.status == 400, "\(name)")
                #expect(reply.header("content-type") == "application/json", "\(name)")
                #expect(E2E.errorCode(reply) == rule.rawValue, "\(name): \(reply.text)")
                #expect(E2E.errorMessage(reply)?.contains(rule.explanation) == true, "\(name): \(reply.text)")
            }
            // Each refused payload is in the audit trail, raw body and broken rule included.
            let rejected = try await harness.database.events(forRow: row).filter { $0.source == .callback }
            #expect(rejected.count == cases.count)
            #expect(rejected.allSatisfy { $0.outcome == .rejected })
            #expect(rejected.map { $0.reason?.components(separatedBy: ":").first } == cases.map { $0.2.rawValue })
            #expect(rejected.map { $0.rawBody?.bytes } == cases.map { $0.1 })
            let after = try await harness.record(row)
            #expect(after == before, "the generation is exactly as it was: \(before) → \(after)")
            #expect(await harness.retrievals(of: generationID) == 0)
        }
    }

    @Test("oversized, wrong method, wrong content type: refused before anything is stored", arguments: StoreBackend.available)
    func refusedBeforeStorage(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: Self.quietSandbox, polling: Self.noPolling) { harness in
            let (row, _, webhook) = try await Self.quietGeneration(harness)
            let before = try await harness.record(row)
            let counts = try await harness.rowCounts()

            let padding = String(repeating: "x", count: RetrievalPayloadValidator.maximumBodySize)
            let oversized = Data(#"{"status": "PROCESSING", "pad": "\#(padding)"}"#.utf8)
            let tooLarge = try await Harness.send("POST", webhook, body: oversized)
            #expect(tooLarge.status == 413)
            #expect(E2E.errorCode(tooLarge) == PayloadRule.bodyTooLarge.rawValue)

            // The same body without a Content-Length (chunked): refused while reading, not trusted to the header.
            let chunked = try await Self.sendChunked(webhook, body: oversized)
            #expect(chunked.status == 413)
            #expect(E2E.errorCode(chunked) == PayloadRule.bodyTooLarge.rawValue)

            let wrongMethod = try await Harness.send("GET", webhook)
            #expect(wrongMethod.status == 405)
            #expect(E2E.errorCode(wrongMethod) == "method_not_allowed")
            #expect(wrongMethod.header("allow") == "POST")

            let wrongType = try await Harness.send("POST", webhook, body: Data(#"{"status": "PROCESSING"}"#.utf8),
                                                   headers: ["content-type": "text/plain"])
            #expect(wrongType.status == 415)
            #expect(E2E.errorCode(wrongType) == "unsupported_media_type")

            let elsewhere = try await Harness.send("POST", harness.daemon.callbackBaseURL + "/v1/generations", body: Data("{}".utf8))
            #expect(elsewhere.status == 404, "nothing but the callbacks and healthz is served on the public listener")

            #expect(try await harness.rowCounts() == counts)
            #expect(try await harness.record(row) == before)
            let counters = await harness.sandbox.sandbox.counters()
            #expect(counters.retrievalCalls == 0 && counters.callbacksSent == 0, "the refusals caused no upstream traffic")
        }
    }

    @Test("an unknown token: 404 and no row written anywhere", arguments: StoreBackend.available)
    func unknownToken(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: Self.quietSandbox, polling: Self.noPolling) { harness in
            let (row, _, webhook) = try await Self.quietGeneration(harness)
            let before = try await harness.record(row)
            let counts = try await harness.rowCounts()
            #expect(counts["events"] == 1, "the submission event only")

            let unknown = harness.daemon.callbackBaseURL + "/callbacks/" + CallbackToken.random().value
            let valid = try await Harness.send("POST", unknown, body: Data(#"{"status": "SUCCEEDED", "images": ["https://x.example/1.png"]}"#.utf8))
            #expect(valid.status == 404)
            #expect(E2E.errorCode(valid) == "unknown_callback")
            let malformed = try await Harness.send("POST", unknown, body: Data("{nope".utf8))
            #expect(malformed.status == 404, "an unknown token is refused as unknown, whatever the body")
            // A token that differs from a real one by its last character is just as unknown.
            var near = webhook
            let last = near.removeLast()
            near.append(last == "A" ? "B" : "A")
            let nearMiss = try await Harness.send("POST", near, body: Data(#"{"status": "PROCESSING"}"#.utf8))
            #expect(nearMiss.status == 404)

            #expect(try await harness.rowCounts() == counts)
            #expect(try await harness.record(row) == before)
            #expect(await harness.sandbox.sandbox.counters().retrievalCalls == 0)
            let metrics = try await harness.local("GET", "/metrics").text
            #expect(metrics.contains("unknown_token"))
        }
    }

    private static func sendChunked(_ url: String, body: Data) async throws -> Harness.Reply {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        let chunks = stride(from: 0, to: body.count, by: 8192).map { ByteBuffer(bytes: body[$0..<min($0 + 8192, body.count)]) }
        let stream = AsyncStream<ByteBuffer> { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
        request.body = .stream(stream, length: .unknown)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let data = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        return Harness.Reply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: data)
    }
}
