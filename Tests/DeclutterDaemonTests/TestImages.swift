/// Hand-made image headers, byte by byte as the formats define them: enough for `ImageFormat.sniff` and
/// `ImageDimensions.read`, with `padding` bytes after the header to make a file of some size.
enum TestImages {
    static func png(width: Int, height: Int, padding: Int = 0) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + bigEndian(13, 4) + Array("IHDR".utf8) + bigEndian(width, 4) + bigEndian(height, 4)
            + [8, 6, 0, 0, 0] + [0, 0, 0, 0]  // bit depth, RGBA, compression, filter, interlace; CRC (not checked)
            + [UInt8](repeating: 0x42, count: padding)
    }

    /// SOI, APP0 (JFIF), APP1 (EXIF of `exifBytes`), DQT, DHT (C4, in the SOF range but not a frame header), then
    /// the frame header `frameMarker` (SOF0 baseline, C2 progressive…), SOS and EOI.
    static func jpeg(width: Int, height: Int, exifBytes: Int = 0, frameMarker: UInt8 = 0xC0, fillBytes: Int = 0,
                     padding: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = [0xFF, 0xD8]
        bytes += segment(0xE0, Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0])
        if exifBytes > 0 { bytes += segment(0xE1, Array("Exif".utf8) + [0, 0] + [UInt8](repeating: 0x45, count: exifBytes - 6)) }
        bytes += segment(0xDB, [0] + [UInt8](repeating: 1, count: 64))
        bytes += segment(0xC4, [0] + [UInt8](repeating: 0, count: 16) + [0])
        bytes += [UInt8](repeating: 0xFF, count: fillBytes)
        bytes += segment(frameMarker, [8] + bigEndian(height, 2) + bigEndian(width, 2) + [1, 1, 0x11, 0])
        bytes += segment(0xDA, [1, 1, 0, 0, 0x3F, 0]) + [UInt8](repeating: 0x12, count: padding) + [0xFF, 0xD9]
        return bytes
    }

    /// A JPEG whose scan starts before any frame header: no size to read.
    static func jpegWithoutFrame() -> [UInt8] {
        [0xFF, 0xD8] + segment(0xE0, Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]) + segment(0xDA, [1, 1, 0, 0, 0x3F, 0]) + [0xFF, 0xD9]
    }

    /// Lossy: a key frame's tag, the start code 9D 01 2A, 14-bit width and height.
    static func webpLossy(width: Int, height: Int) -> [UInt8] {
        riff(chunk: "VP8 ", [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A] + littleEndian(width, 2) + littleEndian(height, 2) + [0, 0])
    }

    /// Lossless: signature 0x2F, then width - 1 and height - 1 in 14 bits each (and alpha, version).
    static func webpLossless(width: Int, height: Int) -> [UInt8] {
        riff(chunk: "VP8L", [0x2F] + littleEndian((width - 1) | (height - 1) << 14 | 1 << 28, 4) + [0, 0, 0])
    }

    /// Extended: flags, 3 reserved bytes, canvas width - 1 and height - 1 in 24 bits each.
    static func webpExtended(width: Int, height: Int) -> [UInt8] {
        riff(chunk: "VP8X", [0x10, 0, 0, 0] + littleEndian(width - 1, 3) + littleEndian(height - 1, 3))
    }

    static func riff(chunk: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array("WEBP".utf8) + Array(chunk.utf8) + littleEndian(data.count, 4) + data
        return Array("RIFF".utf8) + littleEndian(body.count, 4) + body
    }

    static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0xFF, marker] + bigEndian(payload.count + 2, 2) + payload
    }

    static func bigEndian(_ value: Int, _ count: Int) -> [UInt8] {
        (0..<count).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    static func littleEndian(_ value: Int, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}
