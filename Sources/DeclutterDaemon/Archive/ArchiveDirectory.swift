import DeclutterFiles
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where archived images live, each file named by the lowercase hex SHA-256 of its bytes under a two-level
/// fan-out (`root/ab/cd/abcd…`), so the same image downloaded twice is one file, and no directory grows huge.
///
/// Files are written in `root/tmp/` and renamed into place only once complete and synced: a file under its final
/// name is always whole, and anything in `tmp/` after a crash is a leftover that `removeLeftovers` deletes.
public struct ArchiveDirectory: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    /// Where files are written until they are complete.
    public var temporaryPath: String { root + "/tmp" }

    /// Where the file whose SHA-256 is `hex` lives (or would): `root/ab/cd/abcd…`.
    public func path(forSHA256 hex: String) -> String {
        let name = hex.lowercased()
        return "\(root)/\(name.prefix(2))/\(name.dropFirst(2).prefix(2))/\(name)"
    }

    /// Creates the root (and its missing parents) and `tmp/`, mode 0750.
    public func prepare() throws {
        try FileSystem.makeDirectories(temporaryPath)
    }

    /// Deletes every file in `tmp/`: run at start, before any download, so a crash in the middle of one leaves
    /// nothing behind. Returns how many files it deleted.
    @discardableResult
    public func removeLeftovers() -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporaryPath)) ?? []
        return names.filter { unlink("\(temporaryPath)/\($0)") == 0 }.count
    }

    /// True when the file with this SHA-256 is archived.
    public func contains(sha256 hex: String) -> Bool {
        guard Self.isSHA256(hex) else { return false }
        return FileSystem.isRegularFile(path(forSHA256: hex))
    }

    /// Deletes the file with this SHA-256; nothing to do when it is not there.
    public func remove(sha256 hex: String) throws {
        guard Self.isSHA256(hex) else { throw FileSystemError("not a SHA-256: \(hex)") }
        let path = path(forSHA256: hex)
        guard unlink(path) == 0 || errno == ENOENT else { throw FileSystemError("delete", path, errno: errno) }
    }

    /// Nil when a small file can be created, written, synced and deleted in `tmp/`; otherwise why not, for a
    /// readiness check or `check-config` ("archive directory /x is full (ENOSPC)").
    public func writableProblem() -> String? {
        let probe = "\(temporaryPath)/.probe-\(FileSystem.randomName())"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { return notWritable(errno) }
        defer {
            close(descriptor)
            unlink(probe)
        }
        let bytes = Array("probe\n".utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written >= 0 else { return notWritable(errno) }
        guard written == bytes.count else { return notWritable(ENOSPC) }  // a short write: no room for more
        guard fsync(descriptor) == 0 else { return notWritable(errno) }
        return nil
    }

    /// The bytes still free for this process on the archive's file system; nil when it cannot be asked.
    public func freeBytes() -> Int64? {
        var info = statvfs()
        guard statvfs(root, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// A writer for one new file, which refuses to grow past `maxBytes`.
    public func makeWriter(maxBytes: Int) throws -> ArchiveFileWriter {
        try ArchiveFileWriter(directory: self, maxBytes: maxBytes)
    }

    /// Moves the complete, synced file at `temporary` to its final name and makes the rename durable. When that
    /// name is taken, the same bytes are already archived: the temporary file is just deleted. Blocking.
    func place(_ temporary: String, sha256 hex: String) throws {
        let final = path(forSHA256: hex)
        let directory = String(final[..<final.lastIndex(of: "/")!])
        try FileSystem.makeDirectories(directory)
        if FileSystem.isRegularFile(final) {
            unlink(temporary)
            // Another download may have renamed it in a moment ago without syncing the directory yet: this caller
            // records it as archived too, so the name must be durable before it returns.
            try FileSystem.syncDirectory(directory)
            return
        }
        guard rename(temporary, final) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileSystemError("move the download to", final, errno: code)
        }
        try FileSystem.syncDirectory(directory)
    }

    /// A fresh name for a file in `tmp/`.
    /// 64 hex digits: the only names the archive hands to the file system.
    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0 | 0x20) }
    }

    private func notWritable(_ code: Int32) -> String {
        switch code {
        case ENOSPC: "archive directory \(root) is full (ENOSPC)"
        case EDQUOT: "archive directory \(root) is over its disk quota (EDQUOT)"
        default: "archive directory \(root) is not writable: \(SystemError.text(code))"
        }
    }
}
