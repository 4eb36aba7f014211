import Crypto
@testable import DeclutterDaemon
import DeclutterFiles
import Foundation
import NIOCore
import TestSupport
import Testing

@Suite("Archive directory: content-addressed files, written whole or not at all")
struct ArchiveDirectoryTests {
    @Test func fanOutPaths() {
        let directory = ArchiveDirectory(root: "/var/lib/declutterd/archive/")
        let hex = "ABCDEF" + String(repeating: "0", count: 58)
        #expect(directory.path(forSHA256: hex) == "/var/lib/declutterd/archive/ab/cd/abcdef" + String(repeating: "0", count: 58))
        #expect(directory.temporaryPath == "/var/lib/declutterd/archive/tmp")
    }

    @Test("an image written in pieces lands under its SHA-256, whole, with nothing left in tmp/")
    func writeAndFinish() async throws {
        try await withArchive { directory in
            let image = TestImages.png(width: 800, height: 600, padding: 100_000)
            let writer = try directory.makeWriter(maxBytes: 1 << 20)
            // in pieces of 5 bytes first: the format is told across pieces
            for start in stride(from: 0, to: 20, by: 5) { try writer.write(ByteBuffer(bytes: image[start..<start + 5])) }
            try writer.write(ByteBuffer(bytes: image[20...]))
            let file = try await writer.finish()
            #expect(file == ArchivedFile(sha256: Self.sha256(image), bytes: Int64(image.count), format: .png,
                                         dimensions: ImageDimensions(width: 800, height: 600)))
            #expect(file.contentType == "image/png")
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: directory.path(forSHA256: file.sha256)))) == image)
            #expect(directory.contains(sha256: file.sha256))
            #expect(try Self.leftovers(directory).isEmpty)
        }
    }

    @Test("the same bytes twice: one file, and the second temporary file dropped")
    func duplicate() async throws {
        try await withArchive { directory in
            let image = TestImages.jpeg(width: 10, height: 10, padding: 5000)
            var results: [ArchivedFile] = []
            for _ in 0..<2 {
                let writer = try directory.makeWriter(maxBytes: 1 << 20)
                try writer.write(ByteBuffer(bytes: image))
                results.append(try await writer.finish())
            }
            #expect(results[0] == results[1])
            #expect(try Self.archivedFiles(directory) == [directory.path(forSHA256: results[0].sha256)])
            #expect(try Self.leftovers(directory).isEmpty)
        }
    }

    @Test("refused the moment it would pass the cap: nothing past the cap is written, and the file is gone")
    func tooLarge() async throws {
        try await withArchive { directory in
            let writer = try directory.makeWriter(maxBytes: 100)
            try writer.write(ByteBuffer(bytes: TestImages.png(width: 1, height: 1, padding: 40)))
            #expect(try Self.leftovers(directory).count == 1)
            #expect(throws: ArchiveRefusal.tooLarge(limit: 100)) { try writer.write(ByteBuffer(bytes: [UInt8](repeating: 0, count: 60))) }
            #expect(writer.bytesWritten == 73)
            #expect(try Self.leftovers(directory).isEmpty)
            #expect(ArchiveRefusal.tooLarge(limit: 52_428_800).description == "larger than 52428800 bytes")
        }
    }

    @Test("HTML is refused once 12 bytes are in, and not kept")
    func notAnImage() async throws {
        try await withArchive { directory in
            let writer = try directory.makeWriter(maxBytes: 1 << 20)
            try writer.write(ByteBuffer(string: "<!doctype"))
            #expect(throws: ArchiveRefusal.notAnImage(prefix: Array("<!doctype ht".utf8))) {
                try writer.write(ByteBuffer(string: " html><title>Not found</title>"))
            }
            #expect(try Self.leftovers(directory).isEmpty)
        }
    }

    @Test("empty, too short to tell, and an image header without a size: refused at finish, nothing kept")
    func refusedAtFinish() async throws {
        try await withArchive { directory in
            let empty = try directory.makeWriter(maxBytes: 100)
            await #expect(throws: ArchiveRefusal.empty) { try await empty.finish() }
            let short = try directory.makeWriter(maxBytes: 100)
            try short.write(ByteBuffer(string: "GIF89a"))
            await #expect(throws: ArchiveRefusal.notAnImage(prefix: Array("GIF89a".utf8))) { try await short.finish() }
            let headless = try directory.makeWriter(maxBytes: 1 << 20)
            try headless.write(ByteBuffer(bytes: TestImages.jpegWithoutFrame()))
            await #expect(throws: ArchiveRefusal.unreadableHeader(.jpeg)) { try await headless.finish() }
            #expect(try Self.leftovers(directory).isEmpty)
            #expect(try Self.archivedFiles(directory).isEmpty)
        }
    }

    @Test("abandoned, or dropped unfinished: the temporary file is deleted")
    func abandoned() async throws {
        try await withArchive { directory in
            let writer = try directory.makeWriter(maxBytes: 100)
            try writer.write(ByteBuffer(bytes: TestImages.png(width: 1, height: 1)))
            writer.abandon()
            writer.abandon()
            #expect(try Self.leftovers(directory).isEmpty)
            do {
                let dropped = try directory.makeWriter(maxBytes: 100)
                try dropped.write(ByteBuffer(bytes: TestImages.png(width: 1, height: 1)))
                #expect(try Self.leftovers(directory).count == 1)
            }
            #expect(try Self.leftovers(directory).isEmpty)
        }
    }

    @Test("removeLeftovers deletes what a crash left in tmp/, and nothing archived")
    func leftovers() async throws {
        try await withArchive { directory in
            let writer = try directory.makeWriter(maxBytes: 1 << 20)
            try writer.write(ByteBuffer(bytes: TestImages.png(width: 2, height: 2)))
            let kept = try await writer.finish()
            for name in ["0123.part", "4567.part"] {
                #expect(FileManager.default.createFile(atPath: "\(directory.temporaryPath)/\(name)", contents: Data([1, 2, 3])))
            }
            #expect(directory.removeLeftovers() == 2)
            #expect(try Self.leftovers(directory).isEmpty)
            #expect(directory.contains(sha256: kept.sha256))
            #expect(directory.removeLeftovers() == 0)
        }
    }

    @Test func containsAndRemove() async throws {
        try await withArchive { directory in
            let writer = try directory.makeWriter(maxBytes: 1 << 20)
            try writer.write(ByteBuffer(bytes: TestImages.webpLossless(width: 3, height: 3)))
            let file = try await writer.finish()
            #expect(directory.contains(sha256: file.sha256.uppercased()))
            try directory.remove(sha256: file.sha256)
            #expect(!directory.contains(sha256: file.sha256))
            try directory.remove(sha256: file.sha256)  // already gone: nothing to do
            #expect(!directory.contains(sha256: "../../etc/passwd"))
            #expect(throws: FileSystemError.self) { try directory.remove(sha256: "../../etc/passwd") }
        }
    }

    @Test("writable: a probe file can be made; not writable: the reason, naming the directory")
    func writable() throws {
        let scratch = try TemporaryDirectory(prefix: "declutterd-archive")
        defer { scratch.remove() }
        let directory = ArchiveDirectory(root: scratch.file("archive"))
        #expect(directory.writableProblem() == "archive directory \(directory.root) is not writable: No such file or directory")
        try directory.prepare()
        #expect(directory.writableProblem() == nil)
        #expect(try Self.leftovers(directory).isEmpty, "the probe is removed")
        #expect((directory.freeBytes() ?? 0) > 0)
        // a file where tmp/ should be
        let blocked = ArchiveDirectory(root: scratch.file("blocked"))
        try FileManager.default.createDirectory(atPath: blocked.root, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: blocked.temporaryPath, contents: nil))
        #expect(blocked.writableProblem() == "archive directory \(blocked.root) is not writable: Not a directory")
        #expect(throws: FileSystemError.self) { try blocked.prepare() }
    }

    // MARK: - Helpers

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The files in tmp/.
    static func leftovers(_ directory: ArchiveDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.temporaryPath)
    }

    /// Every archived file (outside tmp/), by path.
    static func archivedFiles(_ directory: ArchiveDirectory) throws -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: directory.root)
        var files: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            let path = "\(directory.root)/\(relative)"
            var isDirectory: ObjCBool = false
            if !relative.hasPrefix("tmp"), FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(path)
            }
        }
        return files
    }
}

/// Runs `body` on a prepared archive in a fresh temporary directory, removed afterwards.
func withArchive<T>(_ body: (ArchiveDirectory) async throws -> T) async throws -> T {
    let scratch = try TemporaryDirectory(prefix: "declutterd-archive")
    defer { scratch.remove() }
    let directory = ArchiveDirectory(root: scratch.file("archive"))
    try directory.prepare()
    return try await body(directory)
}
