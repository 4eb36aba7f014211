#if canImport(Glibc)
import Glibc
#endif

/// The few POSIX file operations the archive and the client need, with errno turned into `FileSystemError`. Blocking.
package enum FileSystem {
    /// Creates `path` and its missing parents (mode 0750); the parent of each directory created is synced, so the
    /// new entry survives a crash.
    package static func makeDirectories(_ path: String) throws {
        if isDirectory(path) { return }
        let parent = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
        if !parent.isEmpty { try makeDirectories(parent) }
        guard mkdir(path, 0o750) == 0 || (errno == EEXIST && isDirectory(path)) else {
            throw FileSystemError("create directory", path, errno: errno)
        }
        if !parent.isEmpty { try syncDirectory(parent) }
    }

    /// Makes the entries of the directory at `path` (a rename, a new file) durable.
    package static func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError("open directory", path, errno: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw FileSystemError("sync directory", path, errno: errno) }
    }

    /// Writes all of `bytes`, however many calls that takes.
    package static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var written = 0
        while written < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("write", path, errno: errno)
            }
            written += count
        }
    }

    package static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    package static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// 32 random hex digits: a temporary file's name that nothing else picks.
    package static func randomName() -> String {
        String(UInt64.random(in: .min ... .max), radix: 16) + String(UInt64.random(in: .min ... .max), radix: 16)
    }
}
