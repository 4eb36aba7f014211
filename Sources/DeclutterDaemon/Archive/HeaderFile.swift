#if canImport(Glibc)
import Glibc
#endif

/// Random reads of a file's bytes through a small window, for parsing headers: a read that stays near the last
/// one costs no system call, and a far jump (over a JPEG's EXIF) costs one.
final class HeaderFile {
    private let descriptor: Int32
    private var window: [UInt8] = []
    private var windowStart = 0
    static let windowSize = 4096

    /// Nil when the file cannot be opened for reading.
    init?(path: String) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
    }

    deinit { close(descriptor) }

    /// The byte at `offset`; nil past the end of the file.
    func byte(at offset: Int) -> UInt8? {
        bytes(at: offset, count: 1)?.first
    }

    /// Exactly `count` bytes from `offset`; nil when the file ends sooner.
    func bytes(at offset: Int, count: Int) -> [UInt8]? {
        guard offset >= 0, count >= 0, count <= Self.windowSize else { return nil }
        if offset < windowStart || offset + count > windowStart + window.count {
            load(from: offset)
        }
        let start = offset - windowStart
        guard start >= 0, start + count <= window.count else { return nil }
        return Array(window[start..<start + count])
    }

    /// An unsigned big-endian integer of `count` bytes at `offset`.
    func bigEndian(at offset: Int, count: Int) -> Int? {
        bytes(at: offset, count: count)?.reduce(0) { $0 << 8 | Int($1) }
    }

    /// An unsigned little-endian integer of `count` bytes at `offset`.
    func littleEndian(at offset: Int, count: Int) -> Int? {
        bytes(at: offset, count: count)?.reversed().reduce(0) { $0 << 8 | Int($1) }
    }

    private func load(from offset: Int) {
        var buffer = [UInt8](repeating: 0, count: Self.windowSize)
        var filled = 0
        while filled < buffer.count {
            let count = buffer.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + filled, raw.count - filled, off_t(offset + filled))
            }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            filled += count
        }
        window = Array(buffer.prefix(filled))
        windowStart = offset
    }
}
