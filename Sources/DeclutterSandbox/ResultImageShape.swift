/// The size of the result images the sandbox serves (both images of every generation).
public struct ResultImageShape: Sendable, Equatable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    /// Sides of at least 1, and small enough that the image fits in one PNG chunk (under 2 GiB).
    public init(width: Int, height: Int) {
        precondition(width >= 1 && height >= 1, "an image has at least one pixel a side")
        self.width = width
        self.height = height
        precondition(PNGStream.byteCount(of: self) < Int(Int32.max), "a result image must stay under 2 GiB")
    }

    /// Small enough that tests and the demo download in no time.
    public static let small = ResultImageShape(width: 64, height: 48)

    /// The largest square whose PNG is at most `bytes` long (and within one scanline of it): for benchmarks
    /// that download, say, 1 MiB or 20 MiB images.
    public static func square(ofAboutBytes bytes: Int) -> ResultImageShape {
        var side = max(1, Int((Double(bytes) / 3).squareRoot()))
        while side > 1, PNGStream.byteCount(of: ResultImageShape(width: side, height: side)) > bytes { side -= 1 }
        while PNGStream.byteCount(of: ResultImageShape(width: side + 1, height: side + 1)) <= bytes { side += 1 }
        return ResultImageShape(width: side, height: side)
    }

    public var description: String { "\(width)x\(height)" }
}
