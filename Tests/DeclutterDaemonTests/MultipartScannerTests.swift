@testable import DeclutterDaemon
import NIOCore
import Testing

/// The streaming form reader alone: what it finds however the body is cut into pieces, and the bounds it keeps.
@Suite("multipart/form-data scanner")
struct MultipartScannerTests {
    static let boundary = "----declutterd0123"

    /// A form of `parts` (name, file name, body), as a client writes it.
    static func form(_ parts: [(name: String, filename: String?, body: [UInt8])], preamble: String = "", epilogue: String = "\r\n") -> [UInt8] {
        var bytes = Array(preamble.utf8)
        for part in parts {
            let filename = part.filename.map { "; filename=\"\($0)\"" } ?? ""
            bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"\(filename)\r\nContent-Type: image/png\r\n\r\n".utf8)
            bytes += part.body + Array("\r\n".utf8)
        }
        return bytes + Array("--\(boundary)--\(epilogue)".utf8)
    }

    /// What the scanner makes of `bytes` fed `step` bytes at a time: each part's head and joined body.
    static func scan(_ bytes: [UInt8], step: Int, limits: MultipartLimits = .standard) throws -> [(head: MultipartPartHead, body: [UInt8])] {
        var scanner = try #require(MultipartScanner(boundary: boundary, limits: limits))
        var parts: [(head: MultipartPartHead, body: [UInt8])] = []
        var ended = true
        var offset = 0
        while offset < bytes.count {
            let piece = ByteBuffer(bytes: bytes[offset..<min(offset + step, bytes.count)])
            offset += step
            for event in try scanner.feed(piece) {
                switch event {
                case .part(let head):
                    #expect(ended, "a part began before the previous one ended")
                    parts.append((head, []))
                    ended = false
                case .bytes(let buffer):
                    parts[parts.count - 1].body += Array(buffer.readableBytesView)
                case .partEnd:
                    ended = true
                }
            }
        }
        try scanner.finish()
        #expect(ended)
        return parts
    }

    @Test("parts come out whole however the body is cut, boundary look-alikes inside a body included", arguments: [1, 2, 3, 7, 64, 4096])
    func pieces(step: Int) throws {
        // A body holding CRLF, `--`, and the boundary without its leading CRLF: none of them ends the part.
        let tricky = Array("a\r\n--\r\n-\(Self.boundary)\r\n--\(Self.boundary.dropLast())x\r".utf8) + [0, 0xFF, 0x0D]
        let image = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let bytes = Self.form([("image", "room.png", image), ("auto", nil, Array("true".utf8)), ("mask_url", nil, tricky)],
                              preamble: "ignored preamble\r\n")
        let parts = try Self.scan(bytes, step: step)
        #expect(parts.map(\.head.name) == ["image", "auto", "mask_url"])
        #expect(parts.map(\.head.filename) == ["room.png", nil, nil])
        #expect(parts[0].head.contentType == "image/png")
        #expect(parts[0].body == image)
        #expect(parts[1].body == Array("true".utf8))
        #expect(parts[2].body == tricky)
    }

    @Test("an empty part, quoted names with semicolons and escapes, blanks after a boundary")
    func shapes() throws {
        var bytes = Array("--\(Self.boundary)  \r\nContent-Disposition: form-data; name=\"a;b\\\"c\"; filename=\"x.png\"\r\n\r\n\r\n".utf8)
        bytes += Array("--\(Self.boundary)\r\ncontent-disposition: FORM-DATA; NAME=auto\r\n\r\ntrue\r\n--\(Self.boundary)--".utf8)
        let parts = try Self.scan(bytes, step: 5)
        #expect(parts.map(\.head.name) == ["a;b\"c", "auto"])
        #expect(parts[0].body.isEmpty)
        #expect(parts[1].body == Array("true".utf8))
    }

    @Test("the bounds: part headers, parts, preamble, epilogue; and a body cut short", arguments: [
        ("headers", MultipartError("a part's headers are at most 100 bytes")),
        ("parts", MultipartError("a form has at most 2 parts")),
        ("preamble", MultipartError("at most 1024 bytes may come before the first boundary")),
        ("epilogue", MultipartError("at most 1024 bytes may come after the closing boundary")),
        ("truncated", MultipartError("the body ended before its closing boundary")),
        ("no boundary", MultipartError("no part: the body has no boundary `\(MultipartScannerTests.boundary)`")),
        ("no disposition", MultipartError("every part needs a Content-Disposition: form-data header with a name")),
        ("bad boundary line", MultipartError("a boundary line must end right after the boundary")),
    ])
    func bounds(rule: String, expected: MultipartError) throws {
        var limits = MultipartLimits.standard
        let one = [(name: "image", filename: String?.some("a.png"), body: [UInt8](repeating: 1, count: 10))]
        let bytes: [UInt8]
        switch rule {
        case "headers":
            limits.headerBytes = 100
            bytes = Self.form([("image", String(repeating: "x", count: 100), [1])])
        case "parts":
            limits.parts = 2
            bytes = Self.form(one + one + one)
        case "preamble": bytes = Self.form(one, preamble: String(repeating: "p", count: 1025))
        case "epilogue": bytes = Self.form(one, epilogue: String(repeating: "e", count: 1025))
        case "truncated": bytes = Array(Self.form(one).dropLast(8))
        case "no boundary": bytes = Array("{\"image_url\": \"https://images.example/a.jpg\"}".utf8)
        case "no disposition": bytes = Array("--\(Self.boundary)\r\nContent-Type: image/png\r\n\r\nx\r\n--\(Self.boundary)--".utf8)
        default: bytes = Array("--\(Self.boundary)x\r\n\r\n".utf8)
        }
        for step in [1, 13, bytes.count] {
            #expect(throws: expected, "fed \(step) bytes at a time") { _ = try Self.scan(bytes, step: step, limits: limits) }
        }
    }

    @Test("a boundary RFC 2046 allows: 1 to 70 characters, printable, not ending in a space")
    func boundaries() {
        #expect(MultipartScanner(boundary: "x") != nil)
        #expect(MultipartScanner(boundary: String(repeating: "b", count: 70)) != nil)
        for bad in ["", String(repeating: "b", count: 71), "a\r\nb", "trailing "] {
            #expect(MultipartScanner(boundary: bad) == nil, "\(bad.debugDescription)")
        }
    }

    @Test("the upload types the guard and the handler share: a form with its boundary, a JPEG or PNG body")
    func mediaTypes() {
        #expect(UploadMediaType(contentType: "multipart/form-data; boundary=\"a b;c\"") == .form(boundary: "a b;c"))
        #expect(UploadMediaType(contentType: "Multipart/Form-Data;charset=utf-8; Boundary=xyz") == .form(boundary: "xyz"))
        #expect(UploadMediaType(contentType: "multipart/form-data") == .form(boundary: nil))
        #expect(UploadMediaType(contentType: "image/PNG") == .rawImage)
        #expect(UploadMediaType(contentType: "image/jpeg; q=1") == .rawImage)
        for other in ["image/webp", "application/json", "multipart/mixed; boundary=x", "text/plain", ""] {
            #expect(UploadMediaType(contentType: other) == nil, "\(other)")
        }
    }
}
