import DeclutterFiles
import Hummingbird
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A file opened for reading, closed when the last reference goes: the response body that streams it, or the
/// response dropped unsent (a HEAD, a client gone before the body). Held open while it streams, the file is
/// read whole even if retention deletes it meanwhile.
final class OpenFile: Sendable {
    let path: String
    let descriptor: Int32
    /// Its size when opened.
    let size: Int64

    /// How much is read (and held in memory) at a time.
    static let chunkLength = 64 * 1024

    private init(path: String, descriptor: Int32, size: Int64) {
        self.path = path
        self.descriptor = descriptor
        self.size = size
    }

    deinit { close(descriptor) }

    /// Opens `path` on the thread pool. Nil when there is no such file; throws `FileSystemError` when it cannot
    /// be opened or is not a regular file.
    static func open(_ path: String) async throws -> OpenFile? {
        try await BlockingWork.run {
            let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                if errno == ENOENT { return nil }
                throw FileSystemError("open", path, errno: errno)
            }
            var info = stat()
            guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                let code = errno
                close(descriptor)
                throw FileSystemError("read", path, errno: code == 0 ? EISDIR : code)
            }
            return OpenFile(path: path, descriptor: descriptor, size: Int64(info.st_size))
        }
    }

    /// Writes `range` of the file to `writer`, a chunk at a time, each read on the thread pool; then finishes it.
    /// Throws (which cuts the response short) if the file turns out shorter than `range`.
    func stream(_ range: ClosedRange<Int64>, to writer: inout any ResponseBodyWriter) async throws {
        try await forEachChunk(of: range) { try await writer.write($0) }
        try await writer.finish(nil)
    }

    /// Hands `range` of the file to `body`, a chunk at a time, each read on the thread pool. Throws if the file
    /// turns out shorter than `range`.
    func forEachChunk(of range: ClosedRange<Int64>, _ body: (ByteBuffer) async throws -> Void) async throws {
        var offset = range.lowerBound
        while offset <= range.upperBound {
            let count = Int(min(Int64(Self.chunkLength), range.upperBound - offset + 1))
            let at = offset
            let chunk = try await BlockingWork.run { [self] in try read(count, at: at) }
            try await body(chunk)
            offset += Int64(chunk.readableBytes)
        }
    }

    /// Up to `count` bytes at `offset` (fewer only at the end of the file; none past it is an error). Blocking.
    private func read(_ count: Int, at offset: Int64) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { space in
            while true {
                let read = pread(descriptor, space.baseAddress, count, off_t(offset))
                if read < 0, errno == EINTR { continue }
                guard read >= 0 else { throw FileSystemError("read", path, errno: errno) }
                guard read > 0 else { throw FileSystemError("\(path) ends before byte \(offset): it shrank while it was served") }
                return read
            }
        }
        return buffer
    }
}
