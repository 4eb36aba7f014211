import AsyncHTTPClient
import DeclutterWire
import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A `multipart/form-data` body whose files are read from disk as it is sent, a chunk at a time, never whole:
/// `declutterd submit ./room.jpg` sends a 50 MB photo with a few hundred KB of memory. Its length is known up front
/// (the files' sizes when it was made), so it goes with a `Content-Length`.
struct MultipartFileBody: Sendable {
    enum Segment: Sendable {
        case bytes(ByteBuffer)
        case file(path: String)
    }

    let boundary: String
    private(set) var segments: [Segment] = []
    private(set) var length: Int64 = 0

    init(boundary: String = "declutterd-" + UUID().uuidString.lowercased()) {
        self.boundary = boundary
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func addText(name: String, value: String) {
        add(.bytes(ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")))
    }

    /// A file part named `name`, read from `path` when sent; throws when it is not a readable regular file.
    /// `filename`: what the part calls the file (default: the path's last component).
    mutating func addFile(name: String, path: String, filename: String? = nil) throws(LocalFileError) {
        let size = try LocalFileError.regularFileSize(path)
        let filename = Self.quotable(filename ?? URL(fileURLWithPath: path).lastPathComponent)
        add(.bytes(ByteBuffer(string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\n"
            + "Content-Type: \(Self.contentType(of: path))\r\n\r\n")))
        segments.append(.file(path: path))
        length += size
        add(.bytes(ByteBuffer(string: "\r\n")))
    }

    /// Ends the form: call once, after the last part.
    mutating func close() {
        add(.bytes(ByteBuffer(string: "--\(boundary)--\r\n")))
    }

    /// A fresh body for one attempt: each attempt opens the files again.
    func body() -> HTTPClientRequest.Body {
        .stream(Chunks(segments: segments), length: .known(length))
    }

    private mutating func add(_ segment: Segment) {
        if case .bytes(let bytes) = segment { length += Int64(bytes.readableBytes) }
        segments.append(segment)
    }

    /// What the part claims; the daemon goes by the file's first bytes anyway.
    static func contentType(of path: String) -> String {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "jpg", "jpeg": "image/jpeg"
        case "png": "image/png"
        default: "application/octet-stream"
        }
    }

    /// A file name as a quoted parameter can hold it: quotes escaped the way browsers do (`%22`), line breaks dropped.
    static func quotable(_ name: String) -> String {
        String(name.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }).replacingOccurrences(of: "\"", with: "%22")
    }

    /// The segments as buffers: bytes as they are, files in 64 KiB reads.
    struct Chunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let segments: [Segment]

        func makeAsyncIterator() -> Iterator { Iterator(segments: segments[...]) }

        struct Iterator: AsyncIteratorProtocol {
            var segments: ArraySlice<Segment>
            var file: FileReader?

            mutating func next() async throws -> ByteBuffer? {
                while true {
                    if let file {
                        if let chunk = try file.next() { return chunk }
                        self.file = nil
                    }
                    guard let segment = segments.popFirst() else { return nil }
                    switch segment {
                    case .bytes(let bytes): return bytes
                    case .file(let path): file = try FileReader(path: path)
                    }
                }
            }
        }
    }

    /// One file read in 64 KiB pieces; closed when done with, however the sending ends.
    final class FileReader {
        let path: String
        private let descriptor: Int32

        init(path: String) throws(LocalFileError) {
            self.path = path
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw LocalFileError.unreadable(path, errno: errno) }
        }

        deinit { Glibc.close(descriptor) }

        /// The next piece; nil at the end of the file.
        func next() throws(LocalFileError) -> ByteBuffer? {
            var buffer = ByteBuffer()
            var failure: Int32 = 0
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 * 1024) { pointer in
                var count: Int
                repeat { count = read(descriptor, pointer.baseAddress, pointer.count) } while count < 0 && errno == EINTR
                if count < 0 { failure = errno }
                return max(count, 0)
            }
            if failure != 0 { throw LocalFileError.unreadable(path, errno: failure) }
            return count == 0 ? nil : buffer
        }
    }
}

/// A local file the client was asked to send that it cannot: missing, not a regular file, unreadable.
public struct LocalFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    /// The size of the regular file at `path`; throws a message naming the path otherwise.
    public static func regularFileSize(_ path: String) throws(LocalFileError) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw unreadable(path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw LocalFileError(description: "\(path) is not a regular file") }
        guard access(path, R_OK) == 0 else { throw unreadable(path, errno: errno) }
        return Int64(info.st_size)
    }

    static func unreadable(_ path: String, errno code: Int32) -> LocalFileError {
        LocalFileError(description: code == ENOENT ? "no such file: \(path)" : "cannot read \(path): \(String(cString: strerror(code)).lowercased())")
    }
}
