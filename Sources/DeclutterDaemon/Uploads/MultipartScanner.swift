import Foundation
import NIOCore

/// What a `multipart/form-data` body holds, as `MultipartScanner` finds it piece by piece.
enum MultipartEvent {
    /// A part starts: its `Content-Disposition` name and file name, and its `Content-Type`.
    case part(MultipartPartHead)
    /// Bytes of the current part's body, in order (a part may come in many pieces).
    case bytes(ByteBuffer)
    /// The current part's body is complete.
    case partEnd
}

/// The head of one part of a form.
struct MultipartPartHead: Equatable {
    /// `name` of `Content-Disposition: form-data`.
    let name: String
    /// `filename`, present on a file part.
    let filename: String?
    let contentType: String?
}

/// Why a form was refused; the message names the rule.
struct MultipartError: Error, Equatable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What a form may not exceed besides its files (whose bytes the archive caps): a head, the number of parts, and
/// what may stand before the first part and after the last.
struct MultipartLimits: Equatable {
    /// The headers of one part, in bytes.
    var headerBytes = 8 * 1024
    var parts = 4
    /// Bytes before the first boundary, and after the closing one.
    var preambleBytes = 1024
    var epilogueBytes = 1024

    static let standard = MultipartLimits()
}

/// Reads a `multipart/form-data` body (RFC 7578, RFC 2046 §5.1) as it streams in, never holding more than a part
/// head and a boundary's length of bytes: part bodies go out as they come, so a 50 MiB photo costs no memory.
struct MultipartScanner {
    private enum Stage {
        case preamble, afterBoundary, headers, body, epilogue
    }

    /// `CRLF--boundary`: what ends a part. The body is read as if it began with CRLF, so the first boundary, which
    /// may open the body without one, is found the same way.
    private let delimiter: [UInt8]
    private let limits: MultipartLimits
    private var stage = Stage.preamble
    private var pending: ByteBuffer
    private var parts = 0
    /// Bytes dropped before the first boundary (from -2: the CRLF put in front does not count) or after the last.
    private var discarded = -2

    /// Nil when `boundary` is not one RFC 2046 allows (1 to 70 characters, no control character).
    init?(boundary: String, limits: MultipartLimits = .standard) {
        let bytes = Array(boundary.utf8)
        guard (1...70).contains(bytes.count), bytes.allSatisfy({ (0x20...0x7E).contains($0) }), bytes.last != 0x20 else { return nil }
        delimiter = Array("\r\n--".utf8) + bytes
        self.limits = limits
        pending = ByteBuffer(bytes: [0x0D, 0x0A])
    }

    /// Takes the next piece of the body and returns what it completes.
    mutating func feed(_ buffer: ByteBuffer) throws(MultipartError) -> [MultipartEvent] {
        var buffer = buffer
        pending.writeBuffer(&buffer)
        var events: [MultipartEvent] = []
        while try step(&events) {}
        pending.discardReadBytes()
        return events
    }

    /// The body ended: it must have ended with the closing boundary.
    func finish() throws(MultipartError) {
        guard stage == .epilogue else {
            throw MultipartError(parts == 0 && stage == .preamble ? "no part: the body has no boundary `\(boundaryText)`"
                                                                  : "the body ended before its closing boundary")
        }
    }

    private var boundaryText: String { String(decoding: delimiter.dropFirst(4), as: UTF8.self) }

    /// One step forward; false when more bytes are needed.
    private mutating func step(_ events: inout [MultipartEvent]) throws(MultipartError) -> Bool {
        switch stage {
        case .preamble:
            guard let found = pending.firstIndex(of: delimiter) else {
                try discard(upTo: max(0, pending.readableBytes - delimiter.count + 1), limit: limits.preambleBytes, what: "before the first boundary")
                return false
            }
            try discard(upTo: found, limit: limits.preambleBytes, what: "before the first boundary")
            pending.moveReaderIndex(forwardBy: delimiter.count)
            stage = .afterBoundary
            return true
        case .afterBoundary:
            return try afterBoundary(&events)
        case .headers:
            return try headers(&events)
        case .body:
            guard let found = pending.firstIndex(of: delimiter) else {
                let safe = max(0, pending.readableBytes - delimiter.count + 1)
                if safe > 0, let bytes = pending.readSlice(length: safe) { events.append(.bytes(bytes)) }
                return false
            }
            if found > 0, let bytes = pending.readSlice(length: found) { events.append(.bytes(bytes)) }
            pending.moveReaderIndex(forwardBy: delimiter.count)
            events.append(.partEnd)
            stage = .afterBoundary
            return true
        case .epilogue:
            try discard(upTo: pending.readableBytes, limit: limits.epilogueBytes, what: "after the closing boundary")
            return false
        }
    }

    /// After a boundary: `--` closes the form; otherwise optional blanks and CRLF open the next part.
    private mutating func afterBoundary(_ events: inout [MultipartEvent]) throws(MultipartError) -> Bool {
        let view = pending.readableBytesView
        guard view.count >= 2 else { return false }
        if view.starts(with: [0x2D, 0x2D]) {
            pending.moveReaderIndex(forwardBy: 2)
            stage = .epilogue
            discarded = 0
            return true
        }
        let blanks = view.prefix { $0 == 0x20 || $0 == 0x09 }.count
        guard blanks <= 64 else { throw MultipartError("a boundary line must end right after the boundary") }
        guard view.count >= blanks + 2 else { return false }
        guard view.dropFirst(blanks).starts(with: [0x0D, 0x0A]) else { throw MultipartError("a boundary line must end right after the boundary") }
        pending.moveReaderIndex(forwardBy: blanks + 2)
        parts += 1
        guard parts <= limits.parts else { throw MultipartError("a form has at most \(limits.parts) parts") }
        stage = .headers
        return true
    }

    /// A part's headers, up to the blank line; at most `limits.headerBytes`.
    private mutating func headers(_ events: inout [MultipartEvent]) throws(MultipartError) -> Bool {
        let view = pending.readableBytesView
        let end: Int
        if view.starts(with: [0x0D, 0x0A]) {
            end = 0
        } else if let found = pending.firstIndex(of: [0x0D, 0x0A, 0x0D, 0x0A]) {
            end = found + 2
        } else {
            guard view.count <= limits.headerBytes else { throw MultipartError("a part's headers are at most \(limits.headerBytes) bytes") }
            return false
        }
        guard end <= limits.headerBytes else { throw MultipartError("a part's headers are at most \(limits.headerBytes) bytes") }
        let text = pending.readString(length: end) ?? ""
        pending.moveReaderIndex(forwardBy: 2)
        events.append(.part(try Self.head(of: text)))
        stage = .body
        return true
    }

    private mutating func discard(upTo count: Int, limit: Int, what: String) throws(MultipartError) {
        discarded += count
        pending.moveReaderIndex(forwardBy: count)
        guard discarded <= limit else { throw MultipartError("at most \(limit) bytes may come \(what)") }
    }

    /// The name, file name and type of a part, from its header lines.
    static func head(of text: String) throws(MultipartError) -> MultipartPartHead {
        var disposition: String?
        var contentType: String?
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix(" "), !line.hasPrefix("\t") else {
                throw MultipartError("a part header must be `Name: value`")
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch line[..<colon].lowercased() {
            case "content-disposition": disposition = value
            case "content-type": contentType = value
            default: break
            }
        }
        guard let disposition else { throw MultipartError("every part needs a Content-Disposition: form-data header with a name") }
        let parameters = HeaderParameters.split(disposition)
        guard parameters.first?.trimmingCharacters(in: .whitespaces).lowercased() == "form-data" else {
            throw MultipartError("a part's Content-Disposition must be form-data")
        }
        var name: String?
        var filename: String?
        for parameter in parameters.dropFirst() {
            guard let equals = parameter.firstIndex(of: "=") else { continue }
            let value = HeaderParameters.unquoted(parameter[parameter.index(after: equals)...])
            switch parameter[..<equals].trimmingCharacters(in: .whitespaces).lowercased() {
            case "name": name = value
            case "filename": filename = value
            default: break
            }
        }
        guard let name, !name.isEmpty else { throw MultipartError("every part's Content-Disposition needs a name") }
        return MultipartPartHead(name: name, filename: filename, contentType: contentType)
    }
}

extension ByteBuffer {
    /// The offset from the reader index of the first occurrence of `pattern` in the readable bytes.
    func firstIndex(of pattern: [UInt8]) -> Int? {
        guard let first = pattern.first else { return nil }
        return withUnsafeReadableBytes { bytes -> Int? in
            guard let base = bytes.baseAddress, bytes.count >= pattern.count else { return nil }
            var start = 0
            let last = bytes.count - pattern.count
            while start <= last {
                // memchr for the first byte: the scan runs at memory speed over a photo's megabytes.
                guard let found = memchr(base + start, Int32(first), last - start + 1) else { return nil }
                let hit = base.distance(to: UnsafeRawPointer(found))
                if pattern.withUnsafeBytes({ memcmp(base + hit, $0.baseAddress!, pattern.count) }) == 0 { return hit }
                start = hit + 1
            }
            return nil
        }
    }
}
