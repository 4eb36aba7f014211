import Crypto
import DeclutterSandbox
import DeclutterStore
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("The archive survives kill -9", .serialized)
struct ArchiveCrashTests {
    @Test("kill -9 in the middle of a download: the restart removes the partial file and finishes the download")
    func killNineMidDownload() async throws {
        // A sandbox whose first request for each image sends the head, then stalls; later requests are served whole.
        var configuration = E2E.silentSandbox
        configuration.completionTime = 0.01...0.02
        configuration.resultImage = ResultImageShape(width: 120, height: 90)
        configuration.imageFaults = ImageFaults(.slow(.seconds(300)), failFirst: 1)
        let sandbox = try await Sandbox(configuration: configuration).start()
        let directory = try TemporaryDirectory(prefix: "declutterd-archive-crash")
        defer { directory.remove() }
        let databasePath = directory.file("declutterd.sqlite")
        let temporary = directory.file("images/tmp")
        let environment = ["DECLUTTERD_ARCHIVE_ALLOW_PRIVATE": "true", "DECLUTTERD_ARCHIVE_RETRY_SCHEDULE": "0s, 100ms"]
        let first = try ServeProcess(sandbox: sandbox, databasePath: databasePath, extraEnvironment: environment)
        let (callbacks, local) = try await first.listeners()

        // Given a generation whose SUCCEEDED callback is acknowledged, and its downloads stuck half-way
        let submitted = try await Harness.send("POST", local + "/v1/generations", body: Data(#"{"image_url": "https://images.example/room.jpg", "auto": true}"#.utf8))
        #expect(submitted.status == 202)
        let generationID = try #require(submitted.json["generation_id"] as? String)
        let token = try #require(await sandbox.sandbox.webhooks().values.first?.split(separator: "/").last)
        let images = (1...2).map { "\(sandbox.baseURL)/images/\(generationID)/\($0).png" }
        #expect(try await eventually("the sandbox's generation succeeded") {
            try await Harness.send("HEAD", images[0]).status == 200
        })
        let body = Data(#"{"status": "SUCCEEDED", "images": ["\#(images[0])", "\#(images[1])"]}"#.utf8)
        #expect(try await Harness.send("POST", callbacks + "/callbacks/" + token, body: body).status == 204)
        #expect(try await eventually("partial files in the archive's tmp/") {
            ((try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []).count == 2
        })

        // When the daemon is killed
        first.signal(SIGKILL)
        _ = try await first.waitForExit()
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []).count == 2, "the kill left them behind")

        // Then the restart removes them and downloads both images whole
        let second = try ServeProcess(sandbox: sandbox, databasePath: databasePath, extraEnvironment: environment)
        let (_, restarted) = try await second.listeners()
        var archive: [[String: Any]] = []
        let archived = try await eventually(timeout: .seconds(60), "both images archived") {
            archive = try await Harness.send("GET", restarted + "/v1/generations/\(generationID)").json["archive"] as? [[String: Any]] ?? []
            return archive.count == 2 && archive.allSatisfy { $0["state"] as? String == "archived" }
        }
        #expect(archived, "\(archive)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []).isEmpty, "no partial file remains")
        for (index, entry) in archive.enumerated() {
            let served = sandbox.sandbox.configuration.resultPNG(generationIndex: 0, imageNumber: index + 1).bytes()
            let sha256 = SHA256.hash(data: served).map { String(format: "%02x", $0) }.joined()
            #expect(entry["sha256"] as? String == sha256)
            let path = directory.file("images/\(sha256.prefix(2))/\(sha256.dropFirst(2).prefix(2))/\(sha256)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(served))
        }
        #expect(second.stderr.contains("partial downloads of the previous run removed"))
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
        await sandbox.stop()
    }
}
