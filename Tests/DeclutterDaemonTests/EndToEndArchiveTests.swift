import Crypto
@testable import DeclutterDaemon
import DeclutterSandbox
import DeclutterStore
import Foundation
import Logging
import TestSupport
import Testing

@Suite("End to end: result images downloaded from the sandbox into the archive", .timeLimit(.minutes(3)))
struct EndToEndArchiveTests {
    /// The archive entries of generation `id` once none is pending.
    static func settledArchive(_ harness: Harness, _ id: Any) async throws -> [[String: Any]] {
        var archive: [[String: Any]] = []
        let settled = try await eventually(timeout: .seconds(30), "the archive settled") {
            archive = try await harness.local("GET", "/v1/generations/\(id)").json["archive"] as? [[String: Any]] ?? []
            return !archive.isEmpty && archive.allSatisfy { $0["state"] as? String != "pending" }
        }
        guard settled else { throw HarnessError("archive of \(id) still pending: \(archive)") }
        return archive
    }

    /// Every file under the archive folder (leftovers in tmp/ included), relative to it.
    static func archivedFiles(_ harness: Harness) -> [String] {
        let root = harness.daemon.daemon.archiveDirectory.root
        let paths = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return paths.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted()
    }

    static func sandbox(_ adjust: (inout SandboxConfiguration) -> Void) -> SandboxConfiguration {
        var configuration = SandboxConfiguration.fast()
        configuration.resultImage = ResultImageShape(width: 80, height: 60)
        adjust(&configuration)
        return configuration
    }

    @Test("both result images land in the archive: bytes and SHA-256 equal to what the sandbox served, one generation.archived", arguments: StoreBackend.available)
    func realDownloads(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: Self.sandbox { _ in }) { harness in
            let submitted = try await harness.submit()
            let id = try #require(submitted["id"] as? Int)
            let archive = try await Self.settledArchive(harness, id)
            #expect(archive.map { $0["state"] as? String } == ["archived", "archived"])
            for (index, entry) in archive.enumerated() {
                let served = harness.sandbox.sandbox.configuration.resultPNG(generationIndex: 0, imageNumber: index + 1).bytes()
                let sha256 = SHA256.hash(data: served).map { String(format: "%02x", $0) }.joined()
                #expect(entry["sha256"] as? String == sha256)
                #expect(entry["bytes"] as? Int == served.count)
                #expect(entry["width"] as? Int == 80 && entry["height"] as? Int == 60)
                #expect(entry["content_type"] as? String == "image/png")
                #expect(entry["url"] as? String == "/v1/generations/\(id)/images/\(index)")
                let kept = try Data(contentsOf: URL(fileURLWithPath: harness.daemon.daemon.archiveDirectory.path(forSHA256: sha256)))
                #expect(kept == Data(served), "the file under its SHA-256 holds exactly the served bytes")
            }
            #expect(Self.archivedFiles(harness).count == 2, "two files, nothing left in tmp/: \(Self.archivedFiles(harness))")
            let messages = try await harness.database.messages(matching: MessageFilter(limit: 100))
            #expect(messages.filter { $0.type == .generationArchived }.count == 1)
            let metrics = try await harness.local("GET", "/metrics").text
            #expect(metrics.contains(#"declutterd_archive_downloads_total{result="archived"} 2"#))
            #expect(metrics.contains(#"declutterd_archive_images{state="archived"} 2"#))
            #expect(metrics.contains("declutterd_archive_writable 1"))
        }
    }

    @Test("a 404 is retried on the schedule, then the image fails with its reason", arguments: StoreBackend.available)
    func notFoundRetriedThenFailed(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: Self.sandbox { $0.imageFaults = ImageFaults(.notFound) }) { harness in
            let id = try #require(try await harness.submit()["id"] as? Int)
            let archive = try await Self.settledArchive(harness, id)
            #expect(archive.map { $0["state"] as? String } == ["failed", "failed"])
            #expect(archive.map { $0["attempts"] as? Int } == [3, 3], "the whole schedule of three attempts")
            #expect(archive.allSatisfy { $0["error"] as? String == "HTTP 404" })
            let counters = await harness.sandbox.sandbox.counters()
            let url = try #require(archive.first?["source_url"] as? String)
            #expect(counters.imageRequestsByURL[url] == 3)
            #expect(Self.archivedFiles(harness).isEmpty)
        }
    }

    @Test("a 404 that clears up on the next attempt ends archived", arguments: StoreBackend.available)
    func notFoundThenServed(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: Self.sandbox { $0.imageFaults = ImageFaults(.notFound, failFirst: 1) }) { harness in
            let id = try #require(try await harness.submit()["id"] as? Int)
            let archive = try await Self.settledArchive(harness, id)
            #expect(archive.map { $0["state"] as? String } == ["archived", "archived"])
            #expect(archive.map { $0["attempts"] as? Int } == [2, 2])
        }
    }

    @Test("HTML served as image/png is refused by its bytes, and nothing is kept", arguments: StoreBackend.available)
    func htmlRefused(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: Self.sandbox { $0.imageFaults = ImageFaults(.html) }) { harness in
            let id = try #require(try await harness.submit()["id"] as? Int)
            let archive = try await Self.settledArchive(harness, id)
            #expect(archive.map { $0["state"] as? String } == ["failed", "failed"])
            let error = archive.first?["error"] as? String ?? ""
            #expect(error.contains("not a JPEG, PNG or WebP"), "\(error)")
            #expect(Self.archivedFiles(harness).isEmpty)
        }
    }

    @Test("a body growing past archive.max_bytes is cut off while it streams, at once and for good", arguments: StoreBackend.available)
    func oversizedCutOff(_ backend: StoreBackend) async throws {
        let sandbox = Self.sandbox { $0.imageFaults = ImageFaults(.oversized(bytes: 1 << 30)) }
        try await Harness.with(backend: backend, sandbox: sandbox, adjust: { $0.archive.maxBytes = 256 * 1024 }) { harness in
            let id = try #require(try await harness.submit()["id"] as? Int)
            let archive = try await Self.settledArchive(harness, id)
            #expect(archive.map { $0["state"] as? String } == ["failed", "failed"])
            #expect(archive.map { $0["attempts"] as? Int } == [1, 1], "retrying cannot make it smaller")
            let error = archive.first?["error"] as? String ?? ""
            #expect(error.contains("262144"), "\(error)")
            #expect(Self.archivedFiles(harness).isEmpty, "the partial file is gone")
        }
    }

    @Test("a URL on 127.0.0.1 is refused unless archive.allow_private", arguments: StoreBackend.available)
    func loopbackRefused(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: Self.sandbox { _ in }, adjust: { $0.archive.allowPrivate = false }) { harness in
            let id = try #require(try await harness.submit()["id"] as? Int)
            let archive = try await Self.settledArchive(harness, id)
            #expect(archive.map { $0["state"] as? String } == ["failed", "failed"])
            #expect(archive.map { $0["attempts"] as? Int } == [1, 1])
            let error = archive.first?["error"] as? String ?? ""
            #expect(error.contains("127.0.0.1") && error.contains("loopback"), "\(error)")
            #expect(await harness.sandbox.sandbox.counters().imageRequests == 0, "refused before connecting")
        }
    }

    @Test("a redirect to a private address is refused, though the first hop was allowed", arguments: StoreBackend.available)
    func redirectToPrivateRefused(_ backend: StoreBackend) async throws {
        let sandbox = Self.sandbox { $0.imageFaults = ImageFaults(.redirect(to: "http://169.254.169.254/latest/meta-data")) }
        try await Harness.with(backend: backend, sandbox: sandbox, adjust: {
            $0.archive.allowPrivate = false
            $0.archive.allowNetworks = [CIDR("127.0.0.1/32")!]
        }) { harness in
            let id = try #require(try await harness.submit()["id"] as? Int)
            let archive = try await Self.settledArchive(harness, id)
            #expect(archive.map { $0["state"] as? String } == ["failed", "failed"])
            let error = archive.first?["error"] as? String ?? ""
            #expect(error.contains("169.254.169.254"), "\(error)")
            #expect(await harness.sandbox.sandbox.counters().imageRequests == 2, "the first hop was made, the second not")
        }
    }

    @Test("retention.images deletes the files of generations that ended before it, and marks their images pruned", arguments: StoreBackend.available)
    func retentionPrunesFiles(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: Self.sandbox { _ in }) { harness in
            let id = try #require(try await harness.submit()["id"] as? Int)
            _ = try await Self.settledArchive(harness, id)
            #expect(Self.archivedFiles(harness).count == 2)
            var retention = HistoryRetention()
            retention.images = .seconds(3600)
            let pruner = HistoryPruner(database: harness.database, retention: retention, archive: harness.daemon.daemon.archiveDirectory,
                                       logger: Logger(label: "test"), clock: .system)
            #expect(try await pruner.prune(at: Date()).files == 0, "ended just now: kept")
            #expect(try await pruner.prune(at: Date().addingTimeInterval(7200)).files == 2)
            #expect(Self.archivedFiles(harness).isEmpty)
            let archive = try await harness.local("GET", "/v1/generations/\(id)").json["archive"] as? [[String: Any]] ?? []
            #expect(archive.map { $0["state"] as? String } == ["pruned", "pruned"])
            #expect(archive.allSatisfy { $0["sha256"] is String && $0["url"] == nil }, "the row keeps what the file was")
        }
    }

    @Test("an archive directory that cannot take a file shows in /readyz and the metric, never in callback answers", arguments: StoreBackend.available)
    func unwritableArchiveInReadiness(_ backend: StoreBackend) async throws {
        let scratch = try TemporaryDirectory(prefix: "declutterd-archive-blocked")
        defer { scratch.remove() }
        let blocked = try scratch.write("not-a-directory", "a file where the archive folder should be")
        try await Harness.with(backend: backend, sandbox: Self.sandbox { _ in }, adjust: { $0.archive.directory = blocked }) { harness in
            let ready = try await harness.local("GET", "/readyz")
            #expect(ready.status == 503)
            let reasons = ready.json["reasons"] as? [String] ?? []
            #expect(reasons.contains { $0.contains("archive directory") && $0.contains(blocked) }, "\(reasons)")
            #expect(try await harness.local("GET", "/metrics").text.contains("declutterd_archive_writable 0"))
            // The generation still resolves by callback (204s); only its downloads fail.
            let id = try #require(try await harness.submit()["id"] as? Int)
            #expect(try await harness.waitTerminal(id)["status"] as? String == "SUCCEEDED")
            #expect(await harness.sandbox.sandbox.counters().callbackDeliveryFailures == 0)
        }
    }
}
