import Foundation
import TestSupport
import Testing

/// `declutterd submit` with a file, through the built executable.
@Suite("declutterd submit with a local file", .timeLimit(.minutes(1)))
struct UploadCLITests {
    /// Runs the executable in `directory`, so that `./room.png` means a file there.
    static func run(_ arguments: [String], in directory: TemporaryDirectory) async throws -> CLI.Run {
        let environment = ProcessInfo.processInfo.environment.filter { $0.key != "DECLUTTERD_URL" }
        return try await ProcessRunner.run(try CLI.executable(), arguments, environment: environment, directory: directory.url)
    }

    @Test("submit ./room.png --auto --wait --json: sent as a form streamed from disk, kept, fetched by the service, settled")
    func submitFile() async throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-upload-cli")
        defer { directory.remove() }
        let png = Uploads.png(aboutBytes: 200_000)
        let mask = Uploads.png(seed: 11)
        try Data(png).write(to: directory.url.appendingPathComponent("room.png"))
        try Data(mask).write(to: directory.url.appendingPathComponent("mask.png"))
        try await Harness.with(sandbox: UploadTests.fetchingSandbox) { harness in
            let url = harness.daemon.localURL
            let run = try await Self.run(["submit", "./room.png", "--auto", "--wait", "--json", "--url", url], in: directory)
            #expect(run.status == 0, "\(run)")
            let record = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run)")
            #expect(record["status"] as? String == "SUCCEEDED")
            #expect(record["image_url"] as? String == "upload:\(Uploads.sha256(png))")
            #expect(inputs(of: record).first?["bytes"] as? Int == png.count)
            #expect(await harness.fetchedInputs().map(\.sha256) == [Uploads.sha256(png)], "the service got the file whole")

            let masked = try await Self.run(["submit", "room.png", "--mask", "./mask.png", "--json", "--url", url], in: directory)
            #expect(masked.status == 0, "\(masked)")
            let maskedRecord = try #require(try JSONSerialization.jsonObject(with: Data(masked.stdout.utf8)) as? [String: Any], "\(masked)")
            #expect(maskedRecord["mask_url"] as? String == "upload:\(Uploads.sha256(mask))")
            #expect(try await harness.archiveFiles().kept.sorted() == [Uploads.sha256(png), Uploads.sha256(mask)].sorted())
        }
    }

    @Test("a file that is not there, or a mask file with an image URL, is a usage error (64) naming it, with nothing sent")
    func usage() async throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-upload-cli")
        defer { directory.remove() }
        try Data(Uploads.png()).write(to: directory.url.appendingPathComponent("mask.png"))
        let missing = try await Self.run(["submit", "./missing.png", "--auto", "--url", "http://127.0.0.1:1"], in: directory)
        #expect(missing.status == 64, "\(missing)")
        #expect(missing.stderr.contains("IMAGE: no such file: ./missing.png"), "\(missing)")
        let missingMask = try await Self.run(["submit", "./mask.png", "--mask", "./none.png", "--url", "http://127.0.0.1:1"], in: directory)
        #expect(missingMask.status == 64 && missingMask.stderr.contains("--mask: no such file: ./none.png"), "\(missingMask)")
        let folder = try await Self.run(["submit", ".", "--auto", "--url", "http://127.0.0.1:1"], in: directory)
        #expect(folder.status == 64 && folder.stderr.contains("IMAGE: . is not a regular file"), "\(folder)")
        let mixed = try await Self.run(["submit", "https://images.example/room.jpg", "--mask", "./mask.png", "--url", "http://127.0.0.1:1"], in: directory)
        #expect(mixed.status == 64 && mixed.stderr.contains("--mask must be a URL when IMAGE is a URL"), "\(mixed)")
    }
}
