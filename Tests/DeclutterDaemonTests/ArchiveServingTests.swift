@testable import DeclutterDaemon
import DeclutterSandbox
@testable import DeclutterStore
import Foundation
import TestSupport
import Testing

/// `GET`/`HEAD /v1/generations/{id}/images/{n}` and `/inputs/{role}` on a real daemon that downloaded the sandbox's
/// result images: the bytes, the headers, the conditional and range requests, and each error, every answer checked
/// against the OpenAPI document too.
@Suite("Serving the archive on the local API", .timeLimit(.minutes(3)))
struct ArchiveServingTests {
    static let imageRoute = "GET /v1/generations/{id}/images/{n}"
    static let inputRoute = "GET /v1/generations/{id}/inputs/{role}"

    @Test("an archived image: its bytes, ETag, HEAD, 304, ranges, 416, If-Range, and 404/400 around it", arguments: StoreBackend.available)
    func archivedImage(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            // Given a generation whose images are archived
            let record = try await harness.settledInArchive()
            let row = try E2E.row(record)
            let entries = try #require(record["archive"] as? [[String: Any]])
            #expect(entries.count == 2 && entries.allSatisfy { $0["state"] as? String == "archived" }, "\(entries)")
            let entry = entries[0]
            let sha256 = try #require(entry["sha256"] as? String)
            let source = try #require(entry["source_url"] as? String)
            let original = try await Harness.send("GET", source).body
            let path = "/v1/generations/\(row)/images/0"
            #expect(entry["url"] as? String == path)

            // When it is fetched whole, by local id and by generation UUID
            let whole = try await harness.local("GET", path)
            #expect(whole.status == 200 && whole.body == original, "\(whole.status) \(whole.body.count) bytes, \(original.count) expected")
            #expect(ArchiveServing.sha256(whole.body) == sha256)
            #expect(whole.header("ETag") == "\"\(sha256)\"")
            #expect(whole.header("Content-Type") == "image/png" && whole.header("Content-Length") == String(original.count))
            #expect(whole.header("Accept-Ranges") == "bytes" && whole.header("Cache-Control") == "private, max-age=31536000, immutable")
            OpenAPITests.expectDocumented(Self.imageRoute, whole)
            let uuid = try #require(record["generation_id"] as? String)
            #expect(try await harness.local("GET", "/v1/generations/\(uuid)/images/0").body == original)
            let second = try await harness.local("GET", "/v1/generations/\(row)/images/1")
            #expect(second.status == 200 && ArchiveServing.sha256(second.body) == entries[1]["sha256"] as? String)

            // HEAD: the same headers, no body
            let head = try await harness.local("HEAD", path)
            #expect(head.status == 200 && head.body.isEmpty)
            for name in ["ETag", "Content-Type", "Content-Length", "Accept-Ranges", "Cache-Control"] {
                #expect(head.header(name) == whole.header(name), "\(name)")
            }

            // Conditional and range requests
            for tag in ["\"\(sha256)\"", "W/\"\(sha256)\"", "\"other\", \"\(sha256)\"", "*"] {
                let cached = try await harness.local("GET", path, headers: ["If-None-Match": tag])
                #expect(cached.status == 304 && cached.body.isEmpty && cached.header("ETag") == "\"\(sha256)\"", "\(tag)")
                OpenAPITests.expectDocumented(Self.imageRoute, cached)
            }
            #expect(try await harness.local("GET", path, headers: ["If-None-Match": "\"other\""]).status == 200)

            let prefix = try await harness.local("GET", path, headers: ["Range": "bytes=0-99"])
            #expect(prefix.status == 206 && prefix.body == original.prefix(100))
            #expect(prefix.header("Content-Range") == "bytes 0-99/\(original.count)" && prefix.header("Content-Length") == "100")
            OpenAPITests.expectDocumented(Self.imageRoute, prefix)
            let suffix = try await harness.local("GET", path, headers: ["Range": "bytes=-10"])
            #expect(suffix.status == 206 && suffix.body == original.suffix(10))
            #expect(suffix.header("Content-Range") == "bytes \(original.count - 10)-\(original.count - 1)/\(original.count)")
            let tail = try await harness.local("GET", path, headers: ["Range": "bytes=100-"])
            #expect(tail.status == 206 && tail.body == original.dropFirst(100))

            let past = try await harness.local("GET", path, headers: ["Range": "bytes=\(original.count)-"])
            #expect(past.status == 416 && E2E.errorCode(past) == "range_not_satisfiable", "\(past.text)")
            #expect(past.header("Content-Range") == "bytes */\(original.count)")
            OpenAPITests.expectDocumented(Self.imageRoute, past)
            let several = try await harness.local("GET", path, headers: ["Range": "bytes=0-1,5-6"])
            #expect(several.status == 200 && several.body == original)
            let otherVersion = try await harness.local("GET", path, headers: ["Range": "bytes=0-99", "If-Range": "\"other\""])
            #expect(otherVersion.status == 200 && otherVersion.body == original)
            let sameVersion = try await harness.local("GET", path, headers: ["Range": "bytes=0-99", "If-Range": "\"\(sha256)\""])
            #expect(sameVersion.status == 206 && sameVersion.body.count == 100)

            // Errors around it
            let errors: [(String, Int, String)] = [
                ("/v1/generations/\(row)/images/5", 404, "not_found"),
                ("/v1/generations/\(row)/images/99999999999999999999999", 404, "not_found"),
                ("/v1/generations/999999/images/0", 404, "not_found"),
                ("/v1/generations/\(UUID().uuidString.lowercased())/images/0", 404, "not_found"),
                ("/v1/generations/\(row)/images/-1", 400, "invalid_n"),
                ("/v1/generations/\(row)/images/x", 400, "invalid_n"),
                ("/v1/generations/\(row)/images/1.0", 400, "invalid_n"),
                ("/v1/generations/abc/images/0", 400, "invalid_id"),
            ]
            for (path, status, code) in errors {
                let reply = try await harness.local("GET", path)
                #expect(reply.status == status && E2E.errorCode(reply) == code, "\(path): \(reply.status) \(reply.text)")
                OpenAPITests.expectDocumented(Self.imageRoute, reply)
            }
        }
    }

    /// SQLite only: on PostgreSQL the file is in the database, with its row.
    /// SQLite only: it removes the file from the archive directory, where SQLite's store keeps it (PostgreSQL's
    /// keeps archived files in the database, for every instance).
    @Test("a row that says archived without its file is a 500 file_missing, and the daemon serves on; pruned is 410")
    func missingAndPruned() async throws {
        try await Harness.with { harness in
            let record = try await harness.settledInArchive()
            let row = try E2E.row(record)
            let entries = try #require(record["archive"] as? [[String: Any]])
            let second = try #require(entries[1]["sha256"] as? String)

            // When the second image's file disappears behind the store's back
            try FileManager.default.removeItem(atPath: harness.daemon.daemon.archiveDirectory.path(forSHA256: second))
            let missing = try await harness.local("GET", "/v1/generations/\(row)/images/1")
            #expect(missing.status == 500 && E2E.errorCode(missing) == "file_missing", "\(missing.text)")
            OpenAPITests.expectDocumented(Self.imageRoute, missing)
            #expect(try await harness.local("HEAD", "/v1/generations/\(row)/images/1").status == 500)
            #expect(try await harness.local("GET", "/v1/generations/\(row)/images/0").status == 200)

            // When retention prunes the images
            let pruned = try await harness.database.pruneImages(endedBefore: Date() + 3600, batch: 100, at: Date())
            #expect(pruned.rows == 2)
            for index in 0...1 {
                let gone = try await harness.local("GET", "/v1/generations/\(row)/images/\(index)")
                #expect(gone.status == 410 && E2E.errorCode(gone) == "pruned", "\(gone.text)")
                OpenAPITests.expectDocumented(Self.imageRoute, gone)
            }
            let shown = try await harness.local("GET", "/v1/generations/\(row)").json["archive"] as? [[String: Any]]
            #expect(shown?.allSatisfy { $0["state"] as? String == "pruned" && $0["url"] == nil } == true, "\(shown ?? [])")
        }
    }

    @Test("a failed image is a 409 not_archived that says why; so is a pending one")
    func notArchived() async throws {
        let failing = E2E.sandbox { $0.imageFaults = ImageFaults(.notFound) }
        try await Harness.with(sandbox: failing) { harness in
            let record = try await harness.settledInArchive()
            let row = try E2E.row(record)
            let reply = try await harness.local("GET", "/v1/generations/\(row)/images/0")
            #expect(reply.status == 409 && E2E.errorCode(reply) == "not_archived", "\(reply.text)")
            let message = E2E.errorMessage(reply) ?? ""
            let attempts = harness.daemon.daemon.configuration.archive.retrySchedule.count
            #expect(message.contains("failed after \(attempts) attempts") && message.contains("HTTP 404"), "\(message)")
            OpenAPITests.expectDocumented(Self.imageRoute, reply)
            #expect(try await harness.local("HEAD", "/v1/generations/\(row)/images/0").status == 409)
        }
        // The sandbox holds every image back for a minute: the downloads stay in flight, the images pending.
        let slow = E2E.sandbox { $0.imageFaults = ImageFaults(.slow(.seconds(60))) }
        try await Harness.with(sandbox: slow) { harness in
            let row = try E2E.row(try await harness.submit())
            _ = try await harness.waitSettled(row, timeout: .seconds(60))
            let reply = try await harness.local("GET", "/v1/generations/\(row)/images/1")
            #expect(reply.status == 409 && E2E.errorCode(reply) == "not_archived", "\(reply.text)")
            #expect(E2E.errorMessage(reply)?.contains("pending after") == true, "\(reply.text)")  // its attempt begun, or not yet
            OpenAPITests.expectDocumented(Self.imageRoute, reply)
        }
    }

    @Test("an uploaded photo: bytes, ETag, a range, 304; an absent role 404, an unknown one 400, a pruned one 410")
    func uploadedInput() async throws {
        try await Harness.with { harness in
            let photo = ArchiveServing.png()
            let row = try await harness.generationWithUpload(photo)
            let path = "/v1/generations/\(row)/inputs/image"
            let shown = try await harness.local("GET", "/v1/generations/\(row)").json["inputs"] as? [[String: Any]]
            #expect(shown?.first?["url"] as? String == path, "\(shown ?? [])")

            let whole = try await harness.local("GET", path)
            #expect(whole.status == 200 && whole.body == photo && whole.header("Content-Type") == "image/png")
            #expect(whole.header("ETag") == "\"\(ArchiveServing.sha256(photo))\"")
            OpenAPITests.expectDocumented(Self.inputRoute, whole)
            let head = try await harness.local("HEAD", path)
            #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == String(photo.count))
            let range = try await harness.local("GET", path, headers: ["Range": "bytes=8-15"])
            #expect(range.status == 206 && range.body == photo[8...15])
            OpenAPITests.expectDocumented(Self.inputRoute, range)
            let cached = try await harness.local("GET", path, headers: ["If-None-Match": whole.header("ETag") ?? "-"])
            #expect(cached.status == 304 && cached.body.isEmpty)

            for (path, status, code) in [("/v1/generations/\(row)/inputs/mask", 404, "not_found"),
                                         ("/v1/generations/\(row)/inputs/photo", 400, "invalid_role"),
                                         ("/v1/generations/999999/inputs/image", 404, "not_found")] {
                let reply = try await harness.local("GET", path)
                #expect(reply.status == status && E2E.errorCode(reply) == code, "\(path): \(reply.text)")
                OpenAPITests.expectDocumented(Self.inputRoute, reply)
            }
            try await harness.pruneUploads(of: row)
            let gone = try await harness.local("GET", path)
            #expect(gone.status == 410 && E2E.errorCode(gone) == "pruned", "\(gone.text)")
            OpenAPITests.expectDocumented(Self.inputRoute, gone)
        }
    }
}
