/// The pixels of one result image: a diagonal gradient between two colours picked by the seed, with seeded
/// noise on top, so every generation and image number of a seed looks different and the same seed gives the
/// same bytes. Any row can be made on its own, so an image is produced in pieces without holding it whole.
public struct SeededPixels: Sendable, Equatable {
    public let shape: ResultImageShape
    public let seed: UInt64

    public init(shape: ResultImageShape, seed: UInt64) {
        self.shape = shape
        self.seed = seed
    }

    /// Bytes per PNG scanline: the filter byte, then RGB.
    var scanlineLength: Int { 1 + 3 * shape.width }

    /// Scanline `y` as PNG stores it: filter type 0 (none), then 8-bit RGB for each pixel.
    func scanline(_ y: Int, into row: inout [UInt8]) {
        row.removeAll(keepingCapacity: true)
        row.append(0)
        let from = SeededDraws.mix(seed), to = SeededDraws.mix(from)
        var noise = SeededDraws.mix(seed ^ (UInt64(y) &* 0x9E37_79B9_7F4A_7C15)) | 1
        let span = max(shape.width + shape.height - 2, 1)
        for x in 0..<shape.width {
            let along = UInt64((x + y) * 255 / span)
            // xorshift64: a cheap, deterministic stream of noise along the row.
            noise ^= noise << 13
            noise ^= noise >> 7
            noise ^= noise << 17
            for channel in 0..<3 {
                let shift = UInt64(8 * channel)
                let start = (from >> shift) & 0xFF, end = (to >> shift) & 0xFF
                let blend = (start * (255 - along) + end * along) / 255
                row.append(UInt8(truncatingIfNeeded: blend &+ ((noise >> shift) & 0x1F)))
            }
        }
    }
}
