@testable import DeclutterDaemon
import Foundation
import TestSupport
import Testing

@Suite("Image formats: sniffed by their first bytes, sized by their headers")
struct ImageFormatTests {
    @Test("each magic number, and what is not one", arguments: [
        (TestImages.png(width: 1, height: 1), ImageFormat.png),
        (TestImages.jpeg(width: 1, height: 1), .jpeg),
        (TestImages.webpLossy(width: 1, height: 1), .webp),
        (Array("<!doctype html><html>".utf8), nil),
        (Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt ".utf8), nil),  // RIFF, but audio
        ([0xFF, 0xD8], nil),  // too short to say
        ([], nil),
    ] as [([UInt8], ImageFormat?)])
    func sniff(_ bytes: [UInt8], _ expected: ImageFormat?) {
        #expect(ImageFormat.sniff(bytes) == expected)
    }

    @Test func contentTypes() {
        #expect(ImageFormat.allCases.map(\.contentType) == ["image/jpeg", "image/png", "image/webp"])
        #expect(ImageFormat.sniffLength == 12)
    }

    @Test("dimensions from hand-made headers", arguments: [
        ("png", TestImages.png(width: 1920, height: 1080, padding: 100), ImageFormat.png, ImageDimensions(width: 1920, height: 1080)),
        ("baseline JPEG", TestImages.jpeg(width: 640, height: 480), .jpeg, ImageDimensions(width: 640, height: 480)),
        ("JPEG after a 64 KiB EXIF", TestImages.jpeg(width: 4032, height: 3024, exifBytes: 65_000), .jpeg,
         ImageDimensions(width: 4032, height: 3024)),
        ("progressive JPEG (SOF2) after fill bytes", TestImages.jpeg(width: 300, height: 200, frameMarker: 0xC2, fillBytes: 3), .jpeg,
         ImageDimensions(width: 300, height: 200)),
        ("lossy WebP", TestImages.webpLossy(width: 1023, height: 767), .webp, ImageDimensions(width: 1023, height: 767)),
        ("lossless WebP", TestImages.webpLossless(width: 16383, height: 2), .webp, ImageDimensions(width: 16383, height: 2)),
        ("extended WebP", TestImages.webpExtended(width: 20000, height: 12000), .webp, ImageDimensions(width: 20000, height: 12000)),
    ] as [(String, [UInt8], ImageFormat, ImageDimensions)])
    func dimensions(_ name: String, _ bytes: [UInt8], _ format: ImageFormat, _ expected: ImageDimensions) throws {
        try withFile(bytes) { path in
            #expect(ImageDimensions.read(fileAt: path, format: format) == expected, "\(name)")
        }
    }

    @Test("headers that do not say a size", arguments: [
        ("JPEG whose scan comes first", TestImages.jpegWithoutFrame(), ImageFormat.jpeg),
        ("JPEG cut inside its EXIF", Array(TestImages.jpeg(width: 9, height: 9, exifBytes: 5000).prefix(3000)), .jpeg),
        ("PNG cut before its height", Array(TestImages.png(width: 9, height: 9).prefix(22)), .png),
        ("PNG of zero width", TestImages.png(width: 0, height: 9), .png),
        ("PNG whose first chunk is not IHDR", Array(TestImages.png(width: 9, height: 9).prefix(12)) + Array("IDAT".utf8) + [UInt8](repeating: 1, count: 13), .png),
        ("WebP with an unknown chunk", TestImages.riff(chunk: "ALPH", [UInt8](repeating: 1, count: 10)), .webp),
        ("lossy WebP without its start code", TestImages.riff(chunk: "VP8 ", [0x10, 0x02, 0x00, 1, 2, 3, 4, 0, 4, 0]), .webp),
        ("a PNG read as a JPEG", TestImages.png(width: 9, height: 9), .jpeg),
    ] as [(String, [UInt8], ImageFormat)])
    func unreadable(_ name: String, _ bytes: [UInt8], _ format: ImageFormat) throws {
        try withFile(bytes) { path in
            #expect(ImageDimensions.read(fileAt: path, format: format) == nil, "\(name)")
        }
    }

    @Test func missingFile() {
        #expect(ImageDimensions.read(fileAt: "/nonexistent/declutterd/image.png", format: .png) == nil)
    }

    @Test("what a refused body starts with, as operators read it", arguments: [
        (Array("<!doctype html><html>".utf8.prefix(12)), "not a JPEG, PNG or WebP image (starts with <!doctype)"),
        (Array(#"{"error":"not found"}"#.utf8.prefix(12)), #"not a JPEG, PNG or WebP image (starts with {"error":"no)"#),
        (Array("Not Found\n".utf8), "not a JPEG, PNG or WebP image (starts with Not Found)"),
        ([0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xED, 0x5D],
         "not a JPEG, PNG or WebP image (starts with bytes 1f 8b 08 00 00 00 00 00 00 03 ed 5d)"),
    ] as [([UInt8], String)])
    func notAnImageReason(_ prefix: [UInt8], _ expected: String) {
        #expect(ArchiveRefusal.notAnImage(prefix: prefix).description == expected)
    }

    private func withFile(_ bytes: [UInt8], _ body: (String) throws -> Void) throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-image")
        defer { directory.remove() }
        let path = directory.file("image")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try body(path)
    }
}
