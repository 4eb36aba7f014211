import DeclutterSandbox
import DeclutterStore
import Foundation
import TestSupport
import Testing

/// Listings end to end (docs/listings.md): a real sandbox and daemon, on each backend.
@Suite("Listings")
struct ListingTests {
    /// Callbacks all dropped: every photo is followed by polling, from 50 ms after its launch. A photo is given two
    /// minutes before LOST: on a loaded machine the last of a listing's launches can come seconds after the first.
    static let pollingOnly = E2E.polling {
        $0.callbackGrace = .milliseconds(50)
        $0.giveUpAfter = .seconds(120)
    }

    /// Every callback delivered: no poll comes due while the test runs, and no photo is given up on.
    static let callbacksOnly = E2E.polling {
        $0.callbackGrace = .seconds(60)
        $0.giveUpAfter = .seconds(120)
    }

    @Test("a listing of uploaded photos, callbacks dropped, ends completed: every result archived, the zip holds each under its photo's name",
          arguments: StoreBackend.available)
    func uploadedListingCompletes(backend: StoreBackend) async throws {
        let sandbox = E2E.sandbox { $0.faults.callbackDrop = 1; $0.fetchInputs = true }
        try await Harness.with(backend: backend, sandbox: sandbox, polling: Self.pollingOnly) { harness in
            let names = ["kitchen.jpg", "bath room.png", "hall"]
            let photos = names.enumerated().map { Uploads.Part.file("photo", Uploads.png(seed: UInt64(10 + $0.offset)), filename: $0.element) }
            let created = try await harness.submitListing(form: [.text("reference", "L-42"), .text("auto", "true")] + photos)
            #expect(created.status == 202, "\(created.text)")
            #expect(created.json["state"] as? String == "in_progress")

            let listing = try await harness.listingEnded("L-42")
            #expect(listing["state"] as? String == "completed")
            let counts = try #require(listing["counts"] as? [String: Int])
            #expect(counts["succeeded"] == 3 && counts["queued"] == 0, "\(counts)")
            let counters = await harness.sandbox.sandbox.counters()
            #expect(counters.generateCalls == 3)
            #expect(counters.callbacksSent == 0, "no callback came: the photos were followed by polling")
            #expect(counters.inputsFetched.count == 3, "the service fetched each uploaded photo")

            // Every result archived, and in the zip under its photo's name
            try await eventually("every result archived") {
                let photos = try await harness.local("GET", "/v1/listings/L-42").json["photos"] as? [[String: Any]] ?? []
                return photos.count == 3 && photos.allSatisfy { photo in
                    let images = photo["images"] as? [[String: Any]] ?? []
                    return !images.isEmpty && images.allSatisfy { $0["state"] as? String == "archived" }
                }
            }
            let zip = try await harness.local("GET", "/v1/listings/L-42/results.zip")
            #expect(zip.status == 200)
            #expect(zip.header("Content-Type") == "application/zip")
            let entries = try await ZipCheck.entries(of: zip.body)
            #expect(Set(entries.keys) == ["manifest.json", "kitchen.png", "kitchen-2.png", "bath room.png", "bath room-2.png", "hall.png", "hall-2.png"],
                    "\(entries.keys.sorted())")
            let manifest = try JSONDecoder().decode(ResultsManifest.self, from: try #require(entries["manifest.json"]))
            #expect(manifest.missing.isEmpty)
            #expect(manifest.state == "completed")
            for file in manifest.files {
                #expect(Uploads.sha256(Array(try #require(entries[file.name]))) == file.sha256, "\(file.name) holds the archived bytes")
            }

            // One listing.completed message, with the counts
            let messages = try await harness.database.messages(matching: MessageFilter(limit: 1000)).filter { $0.type == .listingCompleted }
            #expect(messages.count == 1)
            #expect(messages.first?.body.contains(#""reference":"L-42""#) == true)
        }
    }

    @Test("a listing larger than the photos left is refused whole, with no upstream call; allow_partial launches it",
          arguments: StoreBackend.available)
    func notEnoughPhotos(backend: StoreBackend) async throws {
        let sandbox = E2E.sandbox { $0.initialQuota = 4 }
        try await Harness.with(backend: backend, sandbox: sandbox, polling: Self.callbacksOnly) { harness in
            // Given a reading of 3 photos left (one generation spent one of 4)
            _ = try await harness.waitTerminal(try E2E.row(try await harness.submit()))
            let listing = Self.urlListing("L-7", photos: 4)
            let refused = try await harness.local("POST", "/v1/listings", json: listing)
            #expect(refused.status == 409)
            #expect(E2E.errorCode(refused) == "not_enough_photos")
            let error = try #require(refused.json["error"] as? [String: Any])
            #expect(error["needed"] as? Int == 4 && error["left"] as? Int == 3, "\(error)")
            #expect(try await harness.local("GET", "/v1/listings/L-7").status == 404, "nothing recorded")
            #expect(await harness.sandbox.sandbox.counters().generateCalls == 1, "no upstream call for the listing")

            let partial = try await harness.local("POST", "/v1/listings", json: Self.urlListing("L-8", photos: 4, allowPartial: true))
            #expect(partial.status == 202, "\(partial.text)")
            let ended = try await harness.listingEnded("L-8")
            #expect(ended["state"] as? String == "completed_with_failures")
            let counts = try #require(ended["counts"] as? [String: Int])
            #expect(counts["succeeded"] == 3 && counts["rejected"] == 1, "the fourth was refused by the service, nothing spent: \(counts)")
        }
    }

    @Test("a retry launches each failed photo again; the photo keeps its earlier generation in its history", arguments: StoreBackend.available)
    func retryAfterFailures(backend: StoreBackend) async throws {
        // The second and fourth generations the service makes end FAILED; the ones after succeed.
        let sandbox = E2E.sandbox { $0.faults.failingGenerations = [1, 3] }
        try await Harness.with(backend: backend, sandbox: sandbox, polling: Self.callbacksOnly) { harness in
            #expect(try await harness.local("POST", "/v1/listings", json: Self.urlListing("L-9", photos: 4)).status == 202)
            let failed = try await harness.listingEnded("L-9")
            #expect(failed["state"] as? String == "completed_with_failures")
            #expect((failed["counts"] as? [String: Int])?["failed"] == 2)

            let retried = try await harness.local("POST", "/v1/listings/L-9/retry")
            #expect(retried.status == 202, "\(retried.text)")
            #expect(retried.json["state"] as? String == "in_progress")
            let done = try await harness.listingEnded("L-9")
            #expect(done["state"] as? String == "completed")
            #expect(await harness.sandbox.sandbox.counters().generateCalls == 6, "four photos, two of them again")
            let photos = try #require(done["photos"] as? [[String: Any]])
            let histories = photos.map { ($0["earlier_generations"] as? [Any])?.count ?? -1 }
            #expect(histories == [0, 1, 0, 1], "\(histories)")

            // Nothing more to retry: 200, nothing launched
            #expect(try await harness.local("POST", "/v1/listings/L-9/retry").status == 200)
            let messages = try await harness.database.messages(matching: MessageFilter(limit: 1000)).filter { $0.type == .listingCompleted }
            #expect(messages.count == 2, "one listing.completed per time every photo had ended")
        }
    }

    @Test("a 429 from the service queues the photo again, after its Retry-After: the listing completes, nothing spent twice",
          arguments: StoreBackend.available)
    func rateLimitedLaunches(backend: StoreBackend) async throws {
        let sandbox = E2E.sandbox {
            $0.faults.rateLimited = 0.5
            $0.faults.faultyEndpoints = [.generate]
        }
        try await Harness.with(backend: backend, sandbox: sandbox, polling: Self.callbacksOnly) { harness in
            #expect(try await harness.local("POST", "/v1/listings", json: Self.urlListing("L-429", photos: 4)).status == 202)
            let done = try await harness.listingEnded("L-429")
            #expect(done["state"] as? String == "completed", "\(done)")
            let counters = await harness.sandbox.sandbox.counters()
            #expect(counters.rateLimited > 0, "the seed makes some calls 429")
            #expect(counters.photosSpent == 4, "one photo spent per photo")
            let earlier = (done["photos"] as? [[String: Any]] ?? []).map { ($0["earlier_generations"] as? [Any])?.count ?? 0 }.reduce(0, +)
            #expect(earlier == counters.rateLimited, "each refused launch is in its photo's history")
        }
    }

    @Test("the same reference with the same photos creates nothing new; with other photos it is refused", arguments: StoreBackend.available)
    func sameReferenceTwice(backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, polling: Self.callbacksOnly) { harness in
            let listing = Self.urlListing("L-1", photos: 2)
            #expect(try await harness.local("POST", "/v1/listings", json: listing).status == 202)
            let again = try await harness.local("POST", "/v1/listings", json: listing)
            #expect(again.status == 200)
            #expect(again.header("Idempotent-Replayed") == "true")
            let other = try await harness.local("POST", "/v1/listings", json: Self.urlListing("L-1", photos: 3))
            #expect(other.status == 409)
            #expect(E2E.errorCode(other) == "listing_reference_reused")
            _ = try await harness.listingEnded("L-1")
            #expect(await harness.sandbox.sandbox.counters().generateCalls == 2)
            let list = try await harness.local("GET", "/v1/listings")
            #expect((list.json["listings"] as? [Any])?.count == 1)
        }
    }

    @Test("bad listings are refused with the rule they break, and record nothing")
    func refusals() async throws {
        try await Harness.with(polling: Self.callbacksOnly) { harness in
            let cases: [(String, String)] = [
                (#"{"photos": [{"name": "a", "image_url": "https://images.example/a.jpg"}], "auto": true}"#, "invalid_reference"),
                (#"{"reference": "../x", "auto": true, "photos": [{"name": "a", "image_url": "https://images.example/a.jpg"}]}"#, "invalid_reference"),
                (#"{"reference": "L", "auto": true, "photos": []}"#, "invalid_photos"),
                (#"{"reference": "L", "auto": true, "photos": [{"name": "a/b", "image_url": "https://images.example/a.jpg"}]}"#, "invalid_name"),
                (#"{"reference": "L", "auto": true, "photos": [{"name": "a", "image_url": "ftp://x"}]}"#, "invalid_image_url"),
                (#"{"reference": "L", "photos": [{"name": "a", "image_url": "https://images.example/a.jpg"}]}"#, "invalid_mask"),
                (#"{"reference": "L", "auto": true, "photos": [{"name": "a", "image_url": "https://images.example/a.jpg"}, {"name": "a", "image_url": "https://images.example/b.jpg"}]}"#,
                 "duplicate_photo_name"),
            ]
            for (body, code) in cases {
                let reply = try await harness.local("POST", "/v1/listings", json: body)
                #expect(reply.status == 400 && E2E.errorCode(reply) == code, "\(body): \(reply.text)")
            }
            #expect((try await harness.local("GET", "/v1/listings").json["listings"] as? [Any])?.isEmpty == true)
            #expect(try await harness.local("GET", "/v1/listings?state=done").status == 400)
            #expect(await harness.sandbox.sandbox.counters().generateCalls == 0)
        }
    }

    @Test("the dashboard's listing pages: the list, and a grid of each photo with its uploaded original, its result and its state; names escaped")
    func dashboardPages() async throws {
        try await Harness.with(sandbox: E2E.sandbox { $0.fetchInputs = true }, polling: Self.callbacksOnly) { harness in
            let hostile = "<img src=x onerror=alert(1)>.png"
            let created = try await harness.submitListing(form: [.text("reference", "L-page"), .text("auto", "true"),
                                                                 .file("photo", Uploads.png(seed: 31), filename: "kitchen.png"),
                                                                 .file("photo", Uploads.png(seed: 32), filename: hostile)])
            #expect(created.status == 202, "\(created.text)")
            _ = try await harness.listingEnded("L-page")
            try await eventually("every result archived") {
                let photos = try await harness.local("GET", "/v1/listings/L-page").json["photos"] as? [[String: Any]] ?? []
                return photos.allSatisfy { ($0["images"] as? [[String: Any]] ?? []).allSatisfy { $0["state"] as? String == "archived" } }
            }
            let list = try await harness.local("GET", "/listings")
            #expect(list.status == 200 && list.text.contains(#"<a href="/listings/L-page">L-page</a>"#), "\(list.text)")
            let page = try await harness.local("GET", "/listings/L-page")
            #expect(page.status == 200)
            #expect(page.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
            #expect(page.text.contains(#"id="listing-state" data-state="completed""#))
            #expect(page.text.contains(#"href="/v1/listings/L-page/results.zip""#))
            #expect(!page.text.contains(hostile), "the photo's name is escaped")
            #expect(page.text.contains("&lt;img src=x onerror=alert(1)&gt;.png"), "\(page.text)")
            let detail = try await harness.local("GET", "/v1/listings/L-page").json["photos"] as? [[String: Any]] ?? []
            for photo in detail {
                let id = try #require(photo["generation"] as? Int)
                #expect(page.text.contains(#"src="/v1/generations/\#(id)/inputs/image""#), "the uploaded original of generation \(id)")
                #expect(page.text.contains(#"src="/v1/generations/\#(id)/images/0""#), "the first result of generation \(id)")
            }
            #expect(try await harness.local("GET", "/listings/L-none").status == 404)
            #expect(try await harness.local("GET", "/listings?cursor=").status == 400, "a cursor that is not one is refused")
        }
    }

    static func urlListing(_ reference: String, photos: Int, allowPartial: Bool = false) -> String {
        let items = (0..<photos).map { #"{"name": "room-\#($0).jpg", "image_url": "https://images.example/\#(reference)/room-\#($0).jpg"}"# }
        return #"{"reference": "\#(reference)", "auto": true, "allow_partial": \#(allowPartial), "photos": [\#(items.joined(separator: ", "))]}"#
    }
}

extension Harness {
    /// `POST /v1/listings` with a form.
    func submitListing(form parts: [Uploads.Part]) async throws -> Reply {
        try await Self.send("POST", daemon.localURL + "/v1/listings", body: Uploads.form(parts), headers: ["Content-Type": Uploads.formType])
    }

    /// The listing once it is no longer in progress.
    func listingEnded(_ reference: String, timeout: Duration = .seconds(60)) async throws -> [String: Any] {
        var listing: [String: Any] = [:]
        let ended = try await eventually(timeout: timeout, "listing \(reference) ended") {
            listing = try await local("GET", "/v1/listings/\(reference)").json
            return (listing["state"] as? String).map { $0 != "in_progress" } ?? false
        }
        guard ended else { throw HarnessError("listing \(reference) still in progress: \(listing)") }
        return listing
    }
}

/// A zip read by an implementation of its own: Python's `zipfile`, which checks every entry's CRC-32 (`testzip`).
enum ZipCheck {
    static func entries(of data: Data) async throws -> [String: Data] {
        let directory = try TemporaryDirectory(prefix: "declutterd-zip")
        defer { directory.remove() }
        let path = directory.file("results.zip")
        try data.write(to: URL(fileURLWithPath: path))
        let script = """
            import base64, json, sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None, "a CRC-32 does not match"
            print(json.dumps({name: base64.b64encode(z.read(name)).decode() for name in z.namelist()}))
            """
        guard let python = ProcessRunner.onPath("python3") else { throw HarnessError("python3 is needed to read the zip") }
        let run = try await ProcessRunner.run(python, ["-c", script, path], environment: ["PATH": "/usr/bin:/bin"])
        guard run.status == 0, let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: String] else {
            throw HarnessError("python's zipfile refused the zip: \(run)")
        }
        return object.compactMapValues { Data(base64Encoded: $0) }
    }
}
