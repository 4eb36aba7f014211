import DeclutterSandbox
import Foundation
import TestSupport
import Testing

/// `declutterd fetch` and `declutterd show`'s images table, run as a subprocess against a daemon that downloaded
/// the sandbox's result images.
@Suite("declutterd fetch and show, for archived images", .timeLimit(.minutes(3)))
struct ArchiveCLITests {
    @Test("fetch writes each archived image as <id>-<n>.png, its SHA-256 the listed one; --json lists them; show tables them")
    func fetchArchived() async throws {
        try await Harness.with { harness in
            let url = harness.daemon.localURL
            let record = try await harness.settledInArchive()
            let row = try E2E.row(record)
            let entries = try #require(record["archive"] as? [[String: Any]])
            let output = try TemporaryDirectory()
            defer { output.remove() }
            let target = output.url.appendingPathComponent("out").path

            let run = try await CLI.run(["fetch", try #require(record["generation_id"] as? String), "-o", target, "--url", url])
            #expect(run.status == 0 && run.stderr.isEmpty, "\(run)")
            for entry in entries {
                let index = try #require(entry["index"] as? Int)
                let path = "\(target)/\(row)-\(index).png"
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                #expect(ArchiveServing.sha256(data) == entry["sha256"] as? String, "\(path)")
                #expect(run.stdout.contains(path) && run.stdout.contains("\(data.count) bytes"), "\(run)")
            }
            #expect(run.stdout.split(separator: "\n").count == entries.count && run.stdout.contains("64x48"), "\(run)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: target).filter { $0.hasPrefix(".") }
            #expect(leftovers.isEmpty, "no temporary file left: \(leftovers)")

            let json = try await CLI.run(["fetch", "\(row)", "--output", target, "--json", "--url", url])
            #expect(json.status == 0, "\(json)")
            let listed = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]], "\(json)")
            #expect(listed.map { $0["path"] as? String } == entries.indices.map { "\(target)/\(row)-\($0).png" })
            #expect(listed.map { $0["sha256"] as? String } == entries.map { $0["sha256"] as? String })
            #expect(listed.allSatisfy { $0["state"] as? String == "archived" && $0["width"] as? Int == 64 && $0["error"] == nil })

            let show = try await CLI.run(["show", "\(row)", "--url", url])
            #expect(show.status == 0 && show.stdout.contains("IMAGE  STATE"), "\(show)")
            let sha = try #require(entries[0]["sha256"] as? String)
            #expect(show.stdout.contains(String(sha.prefix(12))) && show.stdout.contains("\(url)/v1/generations/\(row)/images/0"), "\(show)")
            print("declutterd show:\n\(show.stdout)declutterd fetch:\n\(run.stdout)")
        }
    }

    @Test("images that are not archived are reported with their error, and fetch exits 1; show lists the error")
    func fetchFailed() async throws {
        let failing = E2E.sandbox { $0.imageFaults = ImageFaults(.notFound) }
        try await Harness.with(sandbox: failing) { harness in
            let url = harness.daemon.localURL
            let row = try E2E.row(try await harness.settledInArchive())
            let output = try TemporaryDirectory()
            defer { output.remove() }

            let run = try await CLI.run(["fetch", "\(row)", "-o", output.path, "--url", url])
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("image 0 not fetched: failed: HTTP 404") && run.stderr.contains("image 1 not fetched"), "\(run)")
            #expect(run.stderr.contains("(not_fetched)") && run.stdout.isEmpty, "\(run)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).isEmpty)

            let json = try await CLI.run(["fetch", "\(row)", "-o", output.path, "--json", "--url", url])
            #expect(json.status == 1, "\(json)")
            let listed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
            #expect(listed?.map { $0["state"] as? String } == ["failed", "failed"] && listed?.first?["error"] as? String == "HTTP 404", "\(json)")

            let show = try await CLI.run(["show", "\(row)", "--url", url])
            #expect(show.status == 0 && show.stdout.contains("failed") && show.stdout.contains("HTTP 404"), "\(show)")

            let unknown = try await CLI.run(["fetch", "999999", "--url", url])
            #expect(unknown.status == 66, "\(unknown)")
            // A tracked generation the service does not know never has result images.
            let tracked = try await harness.local("POST", "/v1/track", json: #"{"generation_id": "\#(UUID().uuidString.lowercased())"}"#)
            let none = try await CLI.run(["fetch", "\(try E2E.row(tracked.json))", "--url", url])
            #expect(none.status == 1 && none.stderr.contains("(no_images)"), "\(none)")
        }
    }
}
