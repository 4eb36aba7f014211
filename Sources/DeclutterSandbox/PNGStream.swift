import DeclutterFiles
import NIOCore

/// A real PNG (8-bit RGB) whose IDAT is zlib with stored, uncompressed deflate blocks, produced in pieces of
/// about 64 KiB. Stored blocks have a known size, so the whole length is known before a byte is made (the
/// sandbox announces it as `Content-Length`) and an image of many megabytes is never held whole: each
/// checksum is carried along and written after the data it covers.
public struct PNGStream: Sequence, Sendable {
    public let pixels: SeededPixels

    public init(pixels: SeededPixels) {
        self.pixels = pixels
    }

    /// The encoded length, in bytes.
    public var byteCount: Int { Self.byteCount(of: pixels.shape) }

    /// Every byte at once: the same bytes the pieces carry, for tests.
    public func bytes() -> [UInt8] {
        var all: [UInt8] = []
        all.reserveCapacity(byteCount)
        for piece in self { all.append(contentsOf: piece.readableBytesView) }
        return all
    }

    public func makeIterator() -> Pieces { Pieces(pixels: pixels) }

    /// The encoded length of an image of `shape`: signature, IHDR, IDAT, IEND.
    static func byteCount(of shape: ResultImageShape) -> Int {
        signature.count + chunkOverhead + headerLength + chunkOverhead + zlibLength(rawLength(of: shape)) + chunkOverhead
    }

    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// Length, type and CRC around every chunk's data.
    static let chunkOverhead = 12
    static let headerLength = 13
    /// The most a stored deflate block holds.
    static let blockCapacity = 65535

    static func rawLength(of shape: ResultImageShape) -> Int { shape.height * (1 + 3 * shape.width) }

    static func blockCount(_ rawLength: Int) -> Int { (rawLength + blockCapacity - 1) / blockCapacity }

    /// zlib header, a 5-byte header per stored block, the data, Adler-32.
    static func zlibLength(_ rawLength: Int) -> Int { 2 + 5 * blockCount(rawLength) + rawLength + 4 }

    /// The pieces of one image, in order: the head (signature, IHDR, IDAT's opening, zlib header), one
    /// stored block at a time, then the tail (Adler-32, IDAT's CRC, IEND).
    public struct Pieces: IteratorProtocol {
        private let pixels: SeededPixels
        private let rawLength: Int
        /// 0 is the head, 1 through the block count the blocks, then the tail.
        private var nextPiece = 0
        private var idatCRC = CRC32()
        private var adler = Adler32()
        private var row: [UInt8] = []
        private var rowIndex = -1

        init(pixels: SeededPixels) {
            self.pixels = pixels
            self.rawLength = PNGStream.rawLength(of: pixels.shape)
        }

        public mutating func next() -> ByteBuffer? {
            let blocks = PNGStream.blockCount(rawLength)
            let piece = nextPiece
            guard piece <= blocks + 1 else { return nil }
            nextPiece += 1
            switch piece {
            case 0: return head()
            case blocks + 1: return tail()
            default: return block(piece - 1, isLast: piece == blocks)
            }
        }

        private mutating func head() -> ByteBuffer {
            var piece = ByteBuffer(bytes: PNGStream.signature)
            var header: [UInt8] = []
            header.appendBigEndian(UInt32(pixels.shape.width))
            header.appendBigEndian(UInt32(pixels.shape.height))
            header += [8, 2, 0, 0, 0]  // bit depth 8, colour type 2 (RGB), deflate, adaptive filters, no interlace
            piece.writeChunk("IHDR", header)
            piece.writeInteger(UInt32(PNGStream.zlibLength(rawLength)))
            let opening: [UInt8] = Array("IDAT".utf8) + [0x78, 0x01]  // zlib: deflate, 32 KiB window, no dictionary
            piece.writeBytes(opening)
            idatCRC.update(opening)
            return piece
        }

        private mutating func block(_ index: Int, isLast: Bool) -> ByteBuffer {
            let start = index * PNGStream.blockCapacity
            let length = Swift.min(PNGStream.blockCapacity, rawLength - start)
            var piece = ByteBuffer()
            piece.reserveCapacity(5 + length)
            piece.writeInteger(UInt8(isLast ? 1 : 0))  // BFINAL, then BTYPE 00: stored
            piece.writeInteger(UInt16(length), endianness: .little)
            piece.writeInteger(~UInt16(length), endianness: .little)
            var offset = start
            while offset < start + length {
                let y = offset / pixels.scanlineLength, column = offset % pixels.scanlineLength
                if y != rowIndex {
                    pixels.scanline(y, into: &row)
                    rowIndex = y
                }
                let count = Swift.min(pixels.scanlineLength - column, start + length - offset)
                piece.writeBytes(row[column..<column + count])
                offset += count
            }
            piece.withUnsafeReadableBytes { bytes in
                idatCRC.update(bytes)
                adler.update(UnsafeRawBufferPointer(rebasing: bytes[5...]))
            }
            return piece
        }

        private mutating func tail() -> ByteBuffer {
            var checksum: [UInt8] = []
            checksum.appendBigEndian(adler.value)
            idatCRC.update(checksum)
            var piece = ByteBuffer(bytes: checksum)
            piece.writeInteger(idatCRC.value)
            piece.writeChunk("IEND", [])
            return piece
        }
    }
}

extension ByteBuffer {
    /// Writes a whole PNG chunk: length, type, data, CRC of type and data.
    fileprivate mutating func writeChunk(_ type: String, _ data: [UInt8]) {
        let typed = Array(type.utf8) + data
        var crc = CRC32()
        crc.update(typed)
        writeInteger(UInt32(data.count))
        writeBytes(typed)
        writeInteger(crc.value)
    }
}

extension [UInt8] {
    fileprivate mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) })
    }
}
