import DeclutterFiles

/// Adler-32 (RFC 1950), the checksum zlib puts after the deflate data, fed piece by piece.
struct Adler32: Sendable {
    private var low: UInt32 = 1
    private var high: UInt32 = 0

    var value: UInt32 { high << 16 | low }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        // The sums are reduced every 5552 bytes, the most that cannot overflow 32 bits (zlib's NMAX).
        var start = 0
        while start < bytes.count {
            let end = min(start + 5552, bytes.count)
            for index in start..<end {
                low &+= UInt32(bytes[index])
                high &+= low
            }
            low %= Self.modulus
            high %= Self.modulus
            start = end
        }
    }

    private static let modulus: UInt32 = 65521
}
