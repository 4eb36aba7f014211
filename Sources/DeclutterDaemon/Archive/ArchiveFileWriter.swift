import Crypto
import DeclutterFiles
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// One file on its way into the archive: the body is streamed to `tmp/<random>.part` as it arrives, hashed and
/// counted on the way, so memory does not grow with the image. It is refused the moment it would pass
/// `maxBytes` or its first bytes are not an image, and moved under its SHA-256 name only when complete.
///
/// Whatever ends it (`finish`, `abandon`, a throwing `write`, or being dropped) leaves no temporary file behind.
/// Used by one task at a time; `write` blocks on the file system (plain `write(2)` of the buffers received).
public final class ArchiveFileWriter {
    public let maxBytes: Int
    private let directory: ArchiveDirectory
    /// The file being written in `tmp/`.
    public let temporaryPath: String
    private let descriptor: Int32
    private var hasher = SHA256()
    private var count = 0
    /// The first bytes, until there are enough to tell the format.
    private var head: [UInt8] = []
    private var format: ImageFormat?
    /// Finished or abandoned: the descriptor is closed and the temporary file is gone or handed over.
    private var settled = false

    init(directory: ArchiveDirectory, maxBytes: Int) throws {
        self.directory = directory
        self.maxBytes = maxBytes
        temporaryPath = "\(directory.temporaryPath)/\(FileSystem.randomName()).part"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            settled = true
            throw FileSystemError("create", temporaryPath, errno: errno)
        }
    }

    deinit { abandon() }

    /// How many bytes were written so far.
    public var bytesWritten: Int { count }

    /// The format the first bytes show, once they show one: an upload refuses a format it cannot use before the
    /// rest of the body arrives, and before `finish` keeps the file.
    public var recognisedFormat: ImageFormat? { format ?? ImageFormat.sniff(head) }

    /// The SHA-256 (lowercase hex) of the bytes written so far: what the file will be named once finished.
    public var sha256: String { hasher.finalize().hexString }

    /// Appends the buffer's readable bytes (not copied). Throws `ArchiveRefusal` (too large, not an image) or
    /// `FileSystemError`; the writer is abandoned then.
    public func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { try write($0) }
    }

    /// Appends `bytes`; see `write(_: ByteBuffer)`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!settled, "write after finish or abandon")
        do {
            guard bytes.count <= maxBytes - count else { throw ArchiveRefusal.tooLarge(limit: maxBytes) }
            if format == nil { try recognise(bytes) }
            try FileSystem.writeAll(descriptor, bytes, path: temporaryPath)
            hasher.update(bufferPointer: bytes)
            count += bytes.count
        } catch {
            abandon()
            throw error
        }
    }

    /// Syncs the file, reads its dimensions and moves it under its SHA-256 name (a file already there holds the
    /// same bytes: this one is just deleted). The blocking part runs on NIO's thread pool and is carried through
    /// even when the task is cancelled meanwhile, so it never stops halfway. Throws `ArchiveRefusal` (empty, not an
    /// image, unreadable header) or `FileSystemError`; nothing is left in `tmp/` either way.
    public func finish() async throws -> ArchivedFile {
        precondition(!settled, "finish after finish or abandon")
        guard count > 0 else {
            abandon()
            throw ArchiveRefusal.empty
        }
        guard let format = format ?? ImageFormat.sniff(head) else {
            abandon()
            throw ArchiveRefusal.notAnImage(prefix: head)
        }
        settled = true
        let completion = Completion(descriptor: descriptor, temporaryPath: temporaryPath, directory: directory,
                                    sha256: hasher.finalize().hexString, bytes: Int64(count), format: format)
        return try await BlockingWork.run { try completion.run() }
    }

    /// Deletes the temporary file. Safe to call more than once, and after `finish`.
    public func abandon() {
        guard !settled else { return }
        settled = true
        close(descriptor)
        unlink(temporaryPath)
    }

    private func recognise(_ bytes: UnsafeRawBufferPointer) throws {
        head.append(contentsOf: bytes.prefix(ImageFormat.sniffLength - head.count))
        guard head.count >= ImageFormat.sniffLength else { return }
        guard let format = ImageFormat.sniff(head) else { throw ArchiveRefusal.notAnImage(prefix: head) }
        self.format = format
    }

    /// The blocking end of a file, on the thread pool: it owns the descriptor and the temporary file from here on.
    private struct Completion: Sendable {
        let descriptor: Int32
        let temporaryPath: String
        let directory: ArchiveDirectory
        let sha256: String
        let bytes: Int64
        let format: ImageFormat

        func run() throws -> ArchivedFile {
            let synced = fsync(descriptor) == 0 ? 0 : errno
            close(descriptor)
            guard synced == 0 else {
                unlink(temporaryPath)
                throw FileSystemError("sync", temporaryPath, errno: synced)
            }
            guard let dimensions = ImageDimensions.read(fileAt: temporaryPath, format: format) else {
                unlink(temporaryPath)
                throw ArchiveRefusal.unreadableHeader(format)
            }
            do {
                try directory.place(temporaryPath, sha256: sha256)
            } catch {
                unlink(temporaryPath)
                throw error
            }
            return ArchivedFile(sha256: sha256, bytes: bytes, format: format, dimensions: dimensions)
        }
    }
}
