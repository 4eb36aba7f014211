import DeclutterAPI
import DeclutterSandbox
import DeclutterStore
import Foundation
import TestSupport
import Testing

/// URLs that break the rule (docs/contract.md, "URLs") are refused on the local API and in callback bodies,
/// with nothing stored and nothing sent upstream; URLs that follow it are stored and shown exactly as given.
@Suite("End to end: URL validation")
struct URLValidationTests {
    /// Bad `image_url` values, as they appear inside a JSON string (escapes included).
    static let badImageURLs: [(name: String, json: String)] = [
        ("a NUL", #"https://e.com/nul\u0000.jpg"#),
        ("a control character (BEL)", #"https://e.com/a\u0007.jpg"#),
        ("a tab", #"https://e.com/a\t.jpg"#),
        ("a DEL", #"https://e.com/a\u007f.jpg"#),
        ("a C1 control (NEL)", #"https://e.com/a\u0085.jpg"#),
        ("port 99999", "https://e.com:99999/x.jpg"),
        ("port 0", "https://e.com:0/x.jpg"),
        ("an unclosed IPv6 literal", "https://[::1/x.jpg"),
        ("userinfo", "https://user:pass@e.com/x.jpg"),
        ("raw non-ASCII", "https://e.com/pièce.jpg"),
    ]

    @Test("a submission whose image_url holds a NUL, a control character or a bad port: 400 invalid_image_url, no row, no upstream call", arguments: StoreBackend.available)
    func submissionRefused(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: E2E.silentSandbox, polling: E2E.callbacksOnly) { harness in
            let before = try await harness.rowCounts()
            #expect(before.values.allSatisfy { $0 == 0 })
            for (name, url) in Self.badImageURLs {
                let reply = try await harness.local("POST", "/v1/generations", json: #"{"image_url": "\#(url)", "auto": true}"#,
                                                    headers: ["Idempotency-Key": UUID().uuidString])
                #expect(reply.status == 400, "\(name): \(reply.text)")
                #expect(E2E.errorCode(reply) == "invalid_image_url", "\(name): \(reply.text)")
            }
            // The same rule for mask_url.
            let mask = try await harness.local("POST", "/v1/generations",
                                               json: #"{"image_url": "https://e.com/x.jpg", "mask_url": "https://e.com/m\u0000.png"}"#)
            #expect(mask.status == 400)
            #expect(E2E.errorCode(mask) == "invalid_mask_url", "\(mask.text)")

            #expect(try await harness.rowCounts() == before, "nothing is written for a refused URL")
            let counters = await harness.sandbox.sandbox.counters()
            #expect(counters.generateCalls == 0, "nothing is sent upstream")
        }
    }

    @Test("a variation whose original_url or mask_url breaks the rule: 400, no row, no upstream call", arguments: StoreBackend.available)
    func variationRefused(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: E2E.silentSandbox, polling: E2E.callbacksOnly) { harness in
            let (row, _) = try await harness.submitted()
            let before = try await harness.rowCounts()
            for (field, body) in [("original_url", #"{"original_url": "https://e.com/nul\u0000.jpg"}"#),
                                  ("original_url", #"{"original_url": "https://e.com:99999/x.jpg"}"#),
                                  ("mask_url", #"{"mask_url": "https://e.com/m\u001b.png"}"#)] {
                let reply = try await harness.local("POST", "/v1/generations/\(row)/variations", json: body)
                #expect(reply.status == 400, "\(body): \(reply.text)")
                #expect(E2E.errorCode(reply) == "invalid_\(field)", "\(body): \(reply.text)")
            }
            #expect(try await harness.rowCounts() == before)
            #expect(await harness.sandbox.sandbox.counters().variationCalls == 0)
        }
    }

    @Test("an accepted URL is stored and shown exactly as given", arguments: StoreBackend.available)
    func acceptedURLKeptExactly(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: E2E.silentSandbox, polling: E2E.callbacksOnly) { harness in
            let url = "HTTP://Images.Example:8443/room%20one.JPG?v=1&sig=a%2Fb;c=(d)"
            let reply = try await harness.local("POST", "/v1/generations", json: #"{"image_url": "\#(url)", "auto": true}"#)
            #expect(reply.status == 202, "\(reply.text)")
            #expect(E2E.string(reply.json, "image_url") == url)
            let row = try E2E.row(reply.json)
            #expect(try await harness.record(row).imageURL == url)
            #expect(E2E.string(try await harness.local("GET", "/v1/generations/\(row)").json, "image_url") == url)
        }
    }

    @Test("a callback whose image URL holds a NUL, a control character or a bad port: 400, the generation unchanged", arguments: StoreBackend.available)
    func callbackRefused(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: E2E.silentSandbox, polling: E2E.callbacksOnly) { harness in
            let (row, generationID) = try await harness.submitted()
            let id = try #require(UUID(uuidString: generationID))
            let webhook = try #require(await harness.sandbox.sandbox.webhooks()[id])
            let before = try await harness.record(row)
            let bad = [#"https://cdn.example/r\u0000.png"#, #"https://cdn.example/r\u0001.png"#, "https://cdn.example:99999/r.png"]
            for url in bad {
                let body = Data(#"{"status": "SUCCEEDED", "images": ["https://cdn.example/ok.png", "\#(url)"]}"#.utf8)
                let reply = try await Harness.send("POST", webhook, body: body)
                #expect(reply.status == 400, "\(url): \(reply.text)")
                #expect(E2E.errorCode(reply) == PayloadRule.imagesInvalidURL.rawValue, "\(url): \(reply.text)")
            }
            #expect(try await harness.record(row) == before, "the generation is exactly as it was")
            let events = try await harness.database.events(forRow: row).filter { $0.source == .callback }
            #expect(events.count == bad.count)
            #expect(events.allSatisfy { $0.outcome == .rejected && $0.reason?.hasPrefix(PayloadRule.imagesInvalidURL.rawValue) == true })

            // A callback whose URLs follow the rule is applied, and its URLs are kept exactly as sent.
            let images = ["HTTPS://CDN.Example/r.png?sig=a%2Fb#v=2", "https://[2001:db8::1]:8443/r.png"]
            let good = try JSONSerialization.data(withJSONObject: ["status": "SUCCEEDED", "images": images])
            let applied = try await Harness.send("POST", webhook, body: good)
            #expect(applied.status == 204, "\(applied.text)")
            let after = try await harness.record(row)
            #expect(after.status == .succeeded)
            #expect(after.images == images)
        }
    }
}
