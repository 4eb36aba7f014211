/// The image formats the archive keeps, recognised by their first bytes rather than by what the server claims:
/// a `content-type: image/png` on an HTML error page is common enough.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg, png, webp

    /// How many leading bytes `sniff` needs to tell every format apart (WebP's `RIFF....WEBP`).
    public static let sniffLength = 12

    /// The format whose magic number `prefix` starts with; nil when none matches (or too few bytes to say).
    public static func sniff(_ prefix: some Collection<UInt8>) -> ImageFormat? {
        let head = Array(prefix.prefix(sniffLength))
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.count >= 12, head[0..<4].elementsEqual("RIFF".utf8), head[8..<12].elementsEqual("WEBP".utf8) { return .webp }
        return nil
    }

    /// The media type the archive serves the file with.
    public var contentType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .webp: "image/webp"
        }
    }
}
