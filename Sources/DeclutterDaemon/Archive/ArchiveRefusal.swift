/// Why a body was not kept as an image: its `description` is the reason shown to operators (`last_error`).
public enum ArchiveRefusal: Error, CustomStringConvertible, Sendable, Equatable {
    /// The body would have been longer than `limit` bytes: refused before a byte past the limit is written.
    case tooLarge(limit: Int)
    /// The body does not start like a JPEG, PNG or WebP file; `prefix` is its first bytes (up to
    /// `ImageFormat.sniffLength`).
    case notAnImage(prefix: [UInt8])
    /// The body had no bytes at all.
    case empty
    /// The body starts like a `format` image, but its header does not say how large it is.
    case unreadableHeader(ImageFormat)

    public var description: String {
        switch self {
        case .tooLarge(let limit): "larger than \(limit) bytes"
        case .notAnImage(let prefix): "not a JPEG, PNG or WebP image (starts with \(Self.describe(prefix)))"
        case .empty: "empty body: no image"
        case .unreadableHeader(let format): "a \(format.displayName) image whose dimensions cannot be read"
        }
    }

    /// True when fetching the same URL again cannot help: the limit will not move for the same image.
    public var isPermanent: Bool {
        if case .tooLarge = self { return true }
        return false
    }

    /// Printable ASCII as text (`<!doctype`, `{"error":`), cut at the last whole word when more followed; anything
    /// else as hex bytes, so a log line never carries control characters.
    static func describe(_ prefix: [UInt8]) -> String {
        let printable = prefix.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard printable, !prefix.isEmpty else {
            return "bytes " + prefix.map { ($0 < 0x10 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
        }
        let words = String(decoding: prefix, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        let truncated = prefix.count >= ImageFormat.sniffLength && !(prefix.last.map { [0x09, 0x0A, 0x0D, 0x20].contains($0) } ?? true)
        let whole = truncated && words.count > 1 ? words.dropLast() : words[...]
        return whole.joined(separator: " ")
    }
}

extension ImageFormat {
    /// As people write it: JPEG, PNG, WebP.
    var displayName: String {
        switch self {
        case .jpeg: "JPEG"
        case .png: "PNG"
        case .webp: "WebP"
        }
    }
}
