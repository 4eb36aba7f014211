import DeclutterAPI
import DeclutterDaemon
import DeclutterSandbox
import Foundation
import TestSupport
import Testing

/// Photos sent as files (docs/archive.md, "Submitting a photo from disk"): kept in the archive, handed to the
/// service through a capability URL on the public listener, refused with nothing left behind.
@Suite("Uploads: photos submitted as files", .timeLimit(.minutes(3)))
struct UploadTests {
    /// The fast sandbox, fetching each photo it is given, as the service does.
    static let fetchingSandbox = E2E.sandbox { $0.fetchInputs = true }
    /// Fetching too, but its generations stay pending: no result image is downloaded beside the uploads.
    static let pendingSandbox = E2E.sandbox {
        $0.fetchInputs = true
        $0.completionTime = 3600...3600
        $0.faults.callbackDrop = 1
    }

    @Test("a PNG as a form and as the body: 202, recorded as upload:<sha256> with its input, fetched by the service whole")
    func accepted() async throws {
        try await Harness.with(sandbox: Self.pendingSandbox, polling: E2E.callbacksOnly) { harness in
            let png = Uploads.png(aboutBytes: 40_000)
            let sha = Uploads.sha256(png)
            let viaForm = try await harness.upload([.file("image", png), .text("auto", "true")])
            let viaBody = try await harness.upload(raw: png)
            for reply in [viaForm, viaBody] {
                #expect(reply.status == 202, "\(reply.text)")
                OpenAPITests.expectDocumented("POST /v1/generations", reply)
                #expect(reply.json["status"] as? String == "STARTING", "\(reply.text)")
                #expect(reply.json["image_url"] as? String == "upload:\(sha)")
                let input = try #require(inputs(of: reply.json).first, "\(reply.text)")
                #expect(inputs(of: reply.json).count == 1)
                #expect(input["role"] as? String == "image" && input["sha256"] as? String == sha)
                #expect(input["bytes"] as? Int == png.count && input["content_type"] as? String == "image/png")
                #expect(input["width"] as? Int != nil && input["height"] as? Int != nil)
                // The local API serves it back, as it was sent.
                let local = try await harness.local("GET", try #require(input["url"] as? String))
                #expect(local.status == 200 && Array(local.body) == png && local.header("etag") == "\"\(sha)\"", "\(local.status)")
            }
            // The service fetched each photo from its own capability URL, and got exactly the bytes sent.
            let fetched = await harness.fetchedInputs()
            #expect(fetched.count == 2)
            #expect(fetched.allSatisfy { $0.sha256 == sha && $0.bytes == png.count && $0.field == "image_url" })
            #expect(Set(fetched.map(\.url)).count == 2, "a token per generation")
            for input in fetched {
                #expect(input.url.hasPrefix(harness.daemon.callbackBaseURL + "/inputs/") && input.url.hasSuffix(".png"), "\(input.url)")
                let served = try await Harness.send("GET", input.url)
                #expect(served.status == 200 && Array(served.body) == png)
                #expect(served.header("content-type") == "image/png" && served.header("content-length") == "\(png.count)")
                #expect(served.header("x-content-type-options") == "nosniff")
                #expect(try await Harness.send("GET", input.url + "/").status == 404, "the trailing-slash variant is another path")
                let slice = try await Harness.send("GET", input.url, headers: ["Range": "bytes=0-7"])
                #expect(slice.status == 206 && Array(slice.body) == Array(png.prefix(8)), "the service may fetch it in ranges")
            }
            // One file in the archive for both, and no token in the database.
            #expect(try await harness.archiveFiles().kept == [sha])
            #expect(try await harness.archiveFiles().temporary.isEmpty)
            let hashes = try await harness.sqlite.read { db in try String.fetchAll(db, sql: "SELECT token_hash FROM uploads") }
            let tokens = fetched.map { String($0.url.split(separator: "/").last!.dropLast(4)) }
            #expect(Set(hashes) == Set(tokens.map { Uploads.sha256(Array($0.utf8)) }), "only each token's hash is stored")
        }
    }

    @Test("a JPEG photo with a PNG mask file: both kept and listed; the mask may be a URL instead", arguments: StoreBackend.available)
    func maskFile(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: Self.fetchingSandbox, polling: E2E.callbacksOnly) { harness in
            let photo = TestImages.jpeg(width: 640, height: 480, padding: 5000)
            let mask = Uploads.png(seed: 9)
            let reply = try await harness.upload([.file("image", photo, filename: "room.jpg"), .file("mask", mask, filename: "mask.png")])
            #expect(reply.status == 202, "\(reply.text)")
            #expect(reply.json["image_url"] as? String == "upload:\(Uploads.sha256(photo))")
            #expect(reply.json["mask_url"] as? String == "upload:\(Uploads.sha256(mask))")
            #expect(inputs(of: reply.json).map { $0["role"] as? String } == ["image", "mask"])
            #expect(inputs(of: reply.json).first?["content_type"] as? String == "image/jpeg")
            #expect(inputs(of: reply.json).first?["width"] as? Int == 640)
            let fetched = try #require(await harness.fetchedInputs().first)
            #expect(fetched.url.hasSuffix(".jpg") && fetched.sha256 == Uploads.sha256(photo), "the extension follows the file")

            let withURL = try await harness.upload(raw: photo, contentType: "image/jpeg", query: "?mask_url=https%3A%2F%2Fimages.example%2Fmask.png")
            #expect(withURL.status == 202, "\(withURL.text)")
            #expect(withURL.json["mask_url"] as? String == "https://images.example/mask.png")
            #expect(inputs(of: withURL.json).count == 1)
        }
    }

    @Test("the same key with the same file replays the first generation; with another file it is refused and keeps nothing")
    func idempotentReplay() async throws {
        try await Harness.with(sandbox: Self.pendingSandbox, polling: E2E.callbacksOnly) { harness in
            let png = Uploads.png()
            let key = ["Idempotency-Key": "upload-1"]
            let first = try await harness.upload([.file("image", png), .text("auto", "true")], headers: key)
            let again = try await harness.upload([.text("auto", "true"), .file("image", png, filename: "other-name.png")], headers: key)
            let asBody = try await harness.upload(raw: png, headers: key)
            #expect(first.status == 202 && first.header("Idempotent-Replayed") == nil, "\(first.text)")
            for replay in [again, asBody] {
                #expect(replay.status == 202 && replay.header("Idempotent-Replayed") == "true", "\(replay.text)")
                #expect(replay.json["id"] as? Int == first.json["id"] as? Int)
                OpenAPITests.expectDocumented("POST /v1/generations", replay)
            }
            #expect(await harness.sandbox.sandbox.counters().generateCalls == 1, "one photo spent")
            let other = try await harness.upload([.file("image", Uploads.png(seed: 8)), .text("auto", "true")], headers: key)
            #expect(other.status == 422 && E2E.errorCode(other) == "idempotency_key_reused", "\(other.text)")
            #expect(try await harness.archiveFiles().kept == [Uploads.sha256(png)], "the refused file is not kept")
            #expect(try await harness.archiveFiles().temporary.isEmpty)
            #expect(try await harness.uploadRows() == 1)
        }
    }

    /// SQLite only: it removes the file from the archive directory, where SQLite's store keeps it (PostgreSQL's
    /// keeps archived files in the database, for every instance).
    @Test("a variation of an uploaded photo hands the service the same file under a URL of its own, and needs it kept")
    func variation() async throws {
        try await Harness.with(sandbox: Self.pendingSandbox, polling: E2E.callbacksOnly) { harness in
            let png = Uploads.png()
            let parent = try await harness.upload([.file("image", png), .text("auto", "true")])
            #expect(parent.status == 202, "\(parent.text)")
            let id = try E2E.row(parent.json)
            let variation = try await harness.local("POST", "/v1/generations/\(id)/variations", json: "")
            #expect(variation.status == 202, "\(variation.text)")
            #expect(variation.json["status"] as? String == "STARTING", "\(variation.text)")
            #expect(variation.json["image_url"] as? String == "upload:\(Uploads.sha256(png))")
            #expect(inputs(of: variation.json).map { $0["sha256"] as? String } == [Uploads.sha256(png)])
            let fetched = await harness.fetchedInputs()
            #expect(fetched.count == 2)
            let (first, second) = (try #require(fetched.first), try #require(fetched.last))
            #expect(second.field == "original_url" && second.sha256 == first.sha256 && second.url != first.url)
            #expect(second.generationID == variation.json["generation_id"] as? String)
            let served = try await Harness.send("GET", second.url)
            #expect(served.status == 200 && Array(served.body) == png)
            #expect(try await harness.archiveFiles().kept == [Uploads.sha256(png)])
            // Once the file is gone (retention.images), a variation has nothing to hand over: 409, nothing sent.
            try harness.daemon.daemon.archiveDirectory.remove(sha256: Uploads.sha256(png))
            let gone = try await harness.local("POST", "/v1/generations/\(id)/variations", json: "")
            #expect(gone.status == 409 && E2E.errorCode(gone) == "parent_image_not_kept", "\(gone.text)")
            OpenAPITests.expectDocumented("POST /v1/generations/{id}/variations", gone)
            #expect(await harness.sandbox.sandbox.counters().variationCalls == 1)
        }
    }

    @Test("a file over archive.max_bytes: 413 naming the limit, as declared or while it streams, and nothing written")
    func tooLarge() async throws {
        try await Harness.with(sandbox: Self.fetchingSandbox, polling: E2E.callbacksOnly, adjust: { $0.archive.maxBytes = 64 * 1024 }) { harness in
            let big = Uploads.png(aboutBytes: 100_000)
            #expect(big.count > 64 * 1024)
            let before = try await harness.rowCounts()
            let replies = [
                try await harness.upload(raw: big),  // its Content-Length says so
                try await harness.upload([.file("image", big), .text("auto", "true")]),  // the form's length passes; the file does not
                try await harness.uploadChunked(Data(big), contentType: "image/png", query: "?auto=true"),
                try await harness.uploadChunked(Uploads.form([.text("auto", "true"), .file("mask", big), .file("image", Uploads.png())]),
                                                contentType: Uploads.formType),
            ]
            for reply in replies {
                #expect(reply.status == 413 && E2E.errorCode(reply) == "too_large", "\(reply.status) \(reply.text)")
                #expect(E2E.errorMessage(reply)?.contains("archive.max_bytes (65536 bytes)") == true, "\(reply.text)")
                OpenAPITests.expectDocumented("POST /v1/generations", reply)
            }
            #expect(try await harness.rowCounts() == before)
            #expect(try await harness.uploadRows() == 0)
            let files = try await harness.archiveFiles()
            #expect(files.kept.isEmpty && files.temporary.isEmpty, "\(files)")
            #expect(await harness.sandbox.sandbox.counters().generateCalls == 0)
            // A file at the cap is fine.
            let fits = try await harness.upload([.file("image", Uploads.png(aboutBytes: 60_000)), .text("auto", "true")])
            #expect(fits.status == 202, "\(fits.text)")
        }
    }

    static let notImages: [(name: String, bytes: [UInt8], message: String)] = [
        ("html", Array("<!doctype html>\n<html><body>We'll be right back</body></html>".utf8), "is not a JPEG or PNG image (starts with <!doctype"),
        ("webp", TestImages.webpLossy(width: 64, height: 48), "is a WebP image: the service takes JPEG or PNG only"),
        ("empty", [], "is empty"),
        ("headless png", Array(Uploads.png().prefix(16)), "is a PNG image whose dimensions cannot be read"),
    ]

    @Test("HTML, WebP, nothing, or a header without a size: 415 unsupported_image with the reason, nothing written")
    func notJPEGOrPNG() async throws {
        try await Harness.with(sandbox: Self.fetchingSandbox, polling: E2E.callbacksOnly) { harness in
            let before = try await harness.rowCounts()
            for (name, bytes, message) in Self.notImages {
                for reply in [try await harness.upload(raw: bytes, contentType: "image/jpeg"),
                              try await harness.upload([.text("auto", "true"), .file("image", bytes)]),
                              try await harness.upload([.file("image", Uploads.png()), .file("mask", bytes)])] {
                    #expect(reply.status == 415 && E2E.errorCode(reply) == "unsupported_image", "\(name): \(reply.status) \(reply.text)")
                    #expect(E2E.errorMessage(reply)?.contains(message) == true, "\(name): \(reply.text)")
                    OpenAPITests.expectDocumented("POST /v1/generations", reply)
                }
            }
            // A type the route does not take at all is the guard's refusal.
            let webpType = try await harness.upload(raw: TestImages.webpLossy(width: 4, height: 4), contentType: "image/webp")
            #expect(webpType.status == 415 && E2E.errorCode(webpType) == "unsupported_media_type", "\(webpType.text)")
            #expect(try await harness.rowCounts() == before)
            #expect(try await harness.uploadRows() == 0)
            let files = try await harness.archiveFiles()
            #expect(files.kept.isEmpty && files.temporary.isEmpty, "\(files)")
            #expect(await harness.sandbox.sandbox.counters().generateCalls == 0)
        }
    }

    @Test("a form that breaks its rules, or asks for no mask: 400 naming the rule, nothing written")
    func invalidForms() async throws {
        try await Harness.with(sandbox: Self.fetchingSandbox, polling: E2E.callbacksOnly) { harness in
            let png = Uploads.png()
            let cases: [(parts: [Uploads.Part], code: String, message: String)] = [
                ([.text("auto", "true")], "invalid_multipart", "no `image` file part"),
                ([.file("image", png), .file("image", png), .text("auto", "true")], "invalid_multipart", "more than one `image` part"),
                ([.file("image", png), .text("image_url", "https://images.example/a.jpg"), .text("auto", "true")], "invalid_multipart", "unknown part `image_url`"),
                ([.file("image", png), .text("auto", "true"), .text("mask_url", String(repeating: "x", count: 5000))], "invalid_multipart", "at most 4096 bytes"),
                ([.file("image", png)], "invalid_mask", "either `auto` must be true or a mask"),
                ([.file("image", png), .text("auto", "yes")], "invalid_auto", "must be true or false"),
                ([.file("image", png), .text("mask_url", "ftp://images.example/m.png")], "invalid_mask_url", "absolute http(s) URL"),
                ([.file("image", png), .file("mask", png), .text("mask_url", "https://images.example/m.png")], "invalid_mask", "not both"),
            ]
            let before = try await harness.rowCounts()
            for (parts, code, message) in cases {
                let reply = try await harness.upload(parts)
                #expect(reply.status == 400 && E2E.errorCode(reply) == code, "\(parts.map(\.name)): \(reply.text)")
                #expect(E2E.errorMessage(reply)?.contains(message) == true, "\(parts.map(\.name)): \(reply.text)")
                OpenAPITests.expectDocumented("POST /v1/generations", reply)
            }
            let raw: [(query: String, code: String)] = [("", "invalid_mask"), ("?auto=1", "invalid_auto"), ("?mask_url=nope", "invalid_mask_url")]
            for (query, code) in raw {
                let reply = try await harness.upload(raw: png, query: query)
                #expect(reply.status == 400 && E2E.errorCode(reply) == code, "\(query): \(reply.text)")
            }
            // The query's options are checked whatever the body: a JSON submission with a wrong one is refused too.
            let json = try await harness.local("POST", "/v1/generations?mask_url=nope", json: #"{"image_url": "https://images.example/a.jpg", "auto": true}"#)
            #expect(json.status == 400 && E2E.errorCode(json) == "invalid_mask_url", "\(json.text)")
            let noBoundary = try await Harness.send("POST", harness.daemon.localURL + "/v1/generations", body: Uploads.form([.file("image", png)]),
                                                    headers: ["Content-Type": "multipart/form-data"])
            #expect(noBoundary.status == 400 && E2E.errorCode(noBoundary) == "invalid_multipart", "\(noBoundary.text)")
            let cut = try await Harness.send("POST", harness.daemon.localURL + "/v1/generations",
                                             body: Uploads.form([.file("image", png), .text("auto", "true")]).dropLast(10),
                                             headers: ["Content-Type": Uploads.formType])
            #expect(cut.status == 400 && E2E.errorMessage(cut)?.contains("closing boundary") == true, "\(cut.text)")
            #expect(try await harness.rowCounts() == before)
            let files = try await harness.archiveFiles()
            #expect(files.kept.isEmpty && files.temporary.isEmpty, "\(files)")
        }
    }

    @Test("without a public base URL an upload is refused with the documented 503 before its body is read")
    func noPublicBaseURL() async throws {
        try await Harness.with(adjust: { $0.publicBaseURLFromListener = false; $0.publicBaseURL = nil }) { harness in
            for reply in [try await harness.upload([.file("image", Uploads.png()), .text("auto", "true")]),
                          try await harness.upload(raw: Uploads.png())] {
                #expect(reply.status == 503 && E2E.errorCode(reply) == "no_public_base_url", "\(reply.text)")
                OpenAPITests.expectDocumented("POST /v1/generations", reply)
            }
            let files = try await harness.archiveFiles()
            #expect(files.kept.isEmpty && files.temporary.isEmpty, "\(files)")
        }
    }

    @Test("an input URL serves its file while the generation is pending and for archive.input_grace after it ended, then 404")
    func inputGrace() async throws {
        let clock = ManualClock()
        let sandbox = E2E.sandbox {
            $0.completionTime = 3600...3600
            $0.faults.callbackDrop = 1
            $0.fetchInputs = true
        }
        // No poll comes due (and nothing is given up) while the clock runs: the callback is what ends it.
        let polling = E2E.polling {
            $0.callbackGrace = .seconds(86_400)
            $0.giveUpAfter = .seconds(2 * 86_400)
        }
        try await Harness.with(sandbox: sandbox, polling: polling, clock: .following(clock, from: Date()),
                               adjust: { $0.archive.inputGrace = .seconds(600) }) { harness in
            let png = Uploads.png()
            let submitted = try await harness.upload([.file("image", png), .text("mask_url", "https://images.example/mask.png")])
            #expect(submitted.status == 202, "\(submitted.text)")
            let url = try #require(await harness.fetchedInputs().first?.url)
            // Pending, however long it takes.
            clock.advance(by: .seconds(3 * 3600))
            let pending = try await Harness.send("GET", url)
            #expect(pending.status == 200 && Array(pending.body) == png)
            // Ended: served for the grace, not a moment after.
            let succeeded = Data(#"{"status": "SUCCEEDED", "images": ["https://cdn.example/out.png"]}"#.utf8)
            #expect(try await Harness.send("POST", try await EndToEndCallbackOptionsTests.callbackURL(harness), body: succeeded).status == 204)
            clock.advance(by: .seconds(599))
            #expect(try await Harness.send("GET", url).status == 200)
            #expect(try await Harness.send("HEAD", url).status == 200)
            clock.advance(by: .seconds(2))
            let expired = try await Harness.send("GET", url)
            #expect(expired.status == 404 && E2E.errorCode(expired) == "unknown_input", "\(expired.text)")
            #expect(try await Harness.send("HEAD", url).status == 404)
            // The file itself is still kept, and listed on the generation.
            #expect(try await harness.archiveFiles().kept == [Uploads.sha256(png)])
            let record = try await harness.local("GET", "/v1/generations/\(try E2E.row(submitted.json))")
            #expect(inputs(of: record.json).count == 1)
        }
    }

    @Test("an input URL that opens nothing (unknown, malformed, wrong extension) answers the same 404; other methods 405", arguments: StoreBackend.available)
    func unknownInputs(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: Self.pendingSandbox, polling: E2E.callbacksOnly) { harness in
            #expect(try await harness.upload(raw: Uploads.png()).status == 202)
            let url = try #require(await harness.fetchedInputs().first?.url)
            let base = harness.daemon.callbackBaseURL + "/inputs/"
            let token = url.dropFirst(base.count).dropLast(4)
            #expect(token.count == 43)
            let other = String(token.reversed())
            var bodies: Set<Data> = []
            for path in [other + ".png", token + ".jpg", token + ".jpeg", String(token), token.dropLast() + ".png", "x.png", "%2e%2e.png"] {
                for method in ["GET", "HEAD"] {
                    let reply = try await Harness.send(method, base + path)
                    #expect(reply.status == 404, "\(method) \(path): \(reply.status)")
                    if method == "GET" {
                        #expect(E2E.errorCode(reply) == "unknown_input", "\(path): \(reply.text)")
                        bodies.insert(reply.body)
                    }
                }
            }
            #expect(bodies.count == 1, "one answer for every token that opens nothing")
            let head = try await Harness.send("HEAD", url)
            #expect(head.status == 200 && head.body.isEmpty && head.header("content-length") == "\(Uploads.png().count)")
            let post = try await Harness.send("POST", url, body: Data("{}".utf8))
            #expect(post.status == 405 && post.header("Allow") == "GET, HEAD", "\(post.status) \(post.header("Allow") ?? "-")")
        }
    }
}
