/// An image's size in pixels, as its header declares it.
public struct ImageDimensions: Sendable, Equatable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height)" }

    /// The size declared in the header of the `format` file at `path`; nil when the header cannot be read or declares
    /// an empty image. Reads only the few bytes it needs (a JPEG's segments before its frame header are skipped,
    /// not read), so it costs the same for a 10 KB and a 50 MB file.
    public static func read(fileAt path: String, format: ImageFormat) -> ImageDimensions? {
        guard let file = HeaderFile(path: path) else { return nil }
        let dimensions: ImageDimensions? = switch format {
        case .png: png(file)
        case .jpeg: jpeg(file)
        case .webp: webp(file)
        }
        guard let dimensions, dimensions.width > 0, dimensions.height > 0 else { return nil }
        return dimensions
    }

    /// PNG: the IHDR chunk, which must come first, right after the 8-byte signature.
    static func png(_ file: HeaderFile) -> ImageDimensions? {
        guard let type = file.bytes(at: 12, count: 4), type.elementsEqual("IHDR".utf8),
              let width = file.bigEndian(at: 16, count: 4), let height = file.bigEndian(at: 20, count: 4) else { return nil }
        return ImageDimensions(width: width, height: height)
    }

    /// How many markers a JPEG may have before its frame header; real files have a few dozen.
    static let jpegMarkerLimit = 4096

    /// JPEG: the first start-of-frame marker (SOF0 to SOF15, except C4 (DHT), C8 (JPG) and CC (DAC), which share
    /// the range), reached by hopping over every other segment by its length (EXIF in APP1 can be 64 KiB).
    static func jpeg(_ file: HeaderFile) -> ImageDimensions? {
        var offset = 2  // after SOI
        for _ in 0..<jpegMarkerLimit {
            guard file.byte(at: offset) == 0xFF else { return nil }
            offset += 1
            // Any number of 0xFF fill bytes may precede the marker's code.
            var code = 0xFF
            while code == 0xFF {
                guard let next = file.byte(at: offset) else { return nil }
                code = Int(next)
                offset += 1
            }
            switch code {
            case 0x01, 0xD0...0xD8: continue  // TEM, RSTn, SOI: no length follows
            case 0xD9, 0xDA: return nil  // end of image, or a scan, before any frame header
            default: break
            }
            guard let length = file.bigEndian(at: offset, count: 2), length >= 2 else { return nil }
            if (0xC0...0xCF).contains(code), ![0xC4, 0xC8, 0xCC].contains(code) {
                // length, sample precision (1 byte), height, width
                guard length >= 7, let height = file.bigEndian(at: offset + 3, count: 2),
                      let width = file.bigEndian(at: offset + 5, count: 2) else { return nil }
                return ImageDimensions(width: width, height: height)
            }
            offset += length
        }
        return nil
    }

    /// WebP: the first chunk after `RIFF<size>WEBP` says how: `VP8 ` (lossy) in its key frame header, `VP8L`
    /// (lossless) in 14-bit fields after its signature, `VP8X` (extended) as a 24-bit canvas size.
    static func webp(_ file: HeaderFile) -> ImageDimensions? {
        guard let chunk = file.bytes(at: 12, count: 4) else { return nil }
        switch String(decoding: chunk, as: UTF8.self) {
        case "VP8 ":
            // frame tag (3 bytes, bit 0 clear on a key frame), start code 9D 01 2A, then 14-bit width and height
            guard let tag = file.byte(at: 20), tag & 1 == 0, let start = file.bytes(at: 23, count: 3), start == [0x9D, 0x01, 0x2A],
                  let width = file.littleEndian(at: 26, count: 2), let height = file.littleEndian(at: 28, count: 2) else { return nil }
            return ImageDimensions(width: width & 0x3FFF, height: height & 0x3FFF)
        case "VP8L":
            // signature 0x2F, then width - 1 and height - 1 in 14 bits each
            guard file.byte(at: 20) == 0x2F, let bits = file.littleEndian(at: 21, count: 4) else { return nil }
            return ImageDimensions(width: (bits & 0x3FFF) + 1, height: (bits >> 14 & 0x3FFF) + 1)
        case "VP8X":
            // flags (1 byte), reserved (3), canvas width - 1 and height - 1 in 24 bits each
            guard let width = file.littleEndian(at: 24, count: 3), let height = file.littleEndian(at: 27, count: 3) else { return nil }
            return ImageDimensions(width: width + 1, height: height + 1)
        default:
            return nil
        }
    }
}
