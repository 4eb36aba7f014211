import Foundation
import TestSupport
import Testing

/// `declutterd listing …` through the built executable.
@Suite("declutterd listing", .timeLimit(.minutes(2)))
struct ListingCLITests {
    @Test("listing submit with files --wait, show, list, fetch (named after the photos) and fetch --zip")
    func submitWaitFetch() async throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-listing-cli")
        defer { directory.remove() }
        for (index, name) in ["kitchen.jpg", "hall.png"].enumerated() {
            try Data(Uploads.png(seed: UInt64(20 + index))).write(to: directory.url.appendingPathComponent(name))
        }
        try await Harness.with(sandbox: E2E.sandbox { $0.fetchInputs = true }, polling: ListingTests.callbacksOnly) { harness in
            let url = harness.daemon.localURL
            let submitted = try await UploadCLITests.run(["listing", "submit", "L-cli", "kitchen.jpg", "./hall.png", "--wait", "--url", url], in: directory)
            #expect(submitted.status == 0, "\(submitted)")
            #expect(submitted.stdout.contains("L-cli [####################] 2/2 done, 0 failed, 0 pending"), "plain progress lines when piped: \(submitted)")
            #expect(submitted.stdout.contains("state      completed") || submitted.stdout.contains("completed"), "\(submitted)")

            let shown = try await UploadCLITests.run(["listing", "show", "L-cli", "--json", "--url", url], in: directory)
            let listing = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any], "\(shown)")
            #expect((listing["photos"] as? [[String: Any]])?.map { $0["name"] as? String } == ["kitchen.jpg", "hall.png"])
            let listed = try await UploadCLITests.run(["listing", "list", "--state", "completed", "--url", url], in: directory)
            #expect(listed.status == 0 && listed.stdout.contains("L-cli"), "\(listed)")

            try await eventually("every result archived") {
                let photos = try await harness.local("GET", "/v1/listings/L-cli").json["photos"] as? [[String: Any]] ?? []
                return photos.allSatisfy { ($0["images"] as? [[String: Any]] ?? []).allSatisfy { $0["state"] as? String == "archived" } }
            }
            let fetched = try await UploadCLITests.run(["listing", "fetch", "L-cli", "out", "--url", url], in: directory)
            #expect(fetched.status == 0, "\(fetched)")
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.file("out")).sorted()
            #expect(files == ["hall-2.png", "hall.png", "kitchen-2.png", "kitchen.png"], "\(files)")
            let zipped = try await UploadCLITests.run(["listing", "fetch", "L-cli", "zips", "--zip", "--url", url], in: directory)
            #expect(zipped.status == 0, "\(zipped)")
            let entries = try await ZipCheck.entries(of: try Data(contentsOf: URL(fileURLWithPath: directory.file("zips/L-cli.zip"))))
            for name in files {
                #expect(entries[name] == (try Data(contentsOf: URL(fileURLWithPath: directory.file("out/\(name)")))), "\(name): the zip and the fetched file agree")
            }

            // A reference with `:` (sent as %3A) and two URLs of the same last path component (told apart). This sandbox
            // fetches photos, and images.example is no host here: both end REJECTED, which is not what is checked.
            let byURL = try await UploadCLITests.run(["listing", "submit", "crm:4711", "https://images.example/a/room.jpg",
                                                      "https://images.example/b/room.jpg", "--url", url], in: directory)
            #expect(byURL.status == 0, "\(byURL)")
            let colon = try await UploadCLITests.run(["listing", "show", "crm:4711", "--json", "--url", url], in: directory)
            let colonListing = try #require(try JSONSerialization.jsonObject(with: Data(colon.stdout.utf8)) as? [String: Any], "\(colon)")
            #expect((colonListing["photos"] as? [[String: Any]])?.map { $0["name"] as? String } == ["room.jpg", "room (2).jpg"])

            let missing = try await UploadCLITests.run(["listing", "show", "L-none", "--url", url], in: directory)
            #expect(missing.status == 66, "\(missing)")
            let mixed = try await UploadCLITests.run(["listing", "submit", "L-x", "hall.png", "https://images.example/a.jpg", "--url", url], in: directory)
            #expect(mixed.status == 64 && mixed.stderr.contains("not both"), "\(mixed)")
        }
    }
}
