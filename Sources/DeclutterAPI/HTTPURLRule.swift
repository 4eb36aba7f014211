import Foundation

/// The one rule for "an absolute http(s) URL", used for image URLs in retrieval payloads, the URLs of the
/// local API (`image_url`, `mask_url`, `original_url`) and URL settings. docs/contract.md ("URLs") states it;
/// `config/retrieval.schema.json` (`$defs/imageUrl`) publishes the same rule as a pattern.
///
/// A URL is accepted only in the form RFC 3986 gives it, and is then kept and sent exactly as given: nothing
/// is trimmed, decoded, re-encoded or normalised.
extension RetrievalPayloadValidator {
    /// The longest URL accepted, in bytes (every accepted URL is ASCII, so also in characters).
    public static let maximumURLLength = 2048

    /// Whether `text` is an absolute http(s) URL under the rule:
    /// - at most `maximumURLLength` bytes, every one printable ASCII (`!` to `~`): no control character
    ///   (U+0000–U+001F, U+007F–U+009F), no space, nothing non-ASCII (non-ASCII must be percent-encoded, a
    ///   non-ASCII host written in its `xn--` form);
    /// - scheme `http` or `https`, any case, then `://`;
    /// - no userinfo (`user:pass@`);
    /// - a host that is a DNS name (labels of 1–63 letters, digits and hyphens, not starting or ending
    ///   with a hyphen, at most 253 bytes in all, no trailing dot, the last label starting with a letter), a
    ///   dotted-quad IPv4 address (0–255, no leading zeros) or an IPv6 address in brackets (no zone, no `IPvFuture`);
    /// - an optional port of 1–65535 (no leading zero, not empty after the `:`);
    /// - then path, query and fragment of RFC 3986 characters only (unreserved, sub-delims, `:@/?`, a `%`
    ///   followed by two hexadecimal digits), one `#` at most;
    /// - and Foundation's `URLComponents` parses it strictly (`encodingInvalidCharacters: false`) into an
    ///   http(s) URL with a host and gives back exactly the same text.
    public static func isAbsoluteHTTPURL(_ text: String) -> Bool {
        let url = Array(text.utf8)
        guard !url.isEmpty, url.count <= maximumURLLength, url.allSatisfy({ (0x21...0x7E).contains($0) }) else { return false }
        guard let authorityStart = URLGrammar.schemeLength(url) else { return false }
        let tail = url[authorityStart...]
        let authorityEnd = tail.firstIndex { URLGrammar.endsAuthority($0) } ?? url.endIndex
        guard URLGrammar.isAuthority(url[authorityStart..<authorityEnd]), URLGrammar.isPathQueryFragment(url[authorityEnd...]) else {
            return false
        }
        return URLGrammar.foundationAgrees(text)
    }
}

/// The parts of the URL rule, on UTF-8 bytes.
enum URLGrammar {
    static func byte(_ character: Unicode.Scalar) -> UInt8 { UInt8(ascii: character) }

    /// `http://` or `https://` in any case: the length of that prefix.
    static func schemeLength(_ url: [UInt8]) -> Int? {
        let lowered = url.prefix(8).map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
        if lowered.starts(with: "https://".utf8) { return 8 }
        if lowered.starts(with: "http://".utf8) { return 7 }
        return nil
    }

    static func endsAuthority(_ byte: UInt8) -> Bool {
        byte == Self.byte("/") || byte == Self.byte("?") || byte == Self.byte("#")
    }

    /// `host [":" port]`, where host is a DNS name, an IPv4 address or a bracketed IPv6 address.
    static func isAuthority(_ authority: ArraySlice<UInt8>) -> Bool {
        let host: ArraySlice<UInt8>
        let port: ArraySlice<UInt8>?
        if authority.first == byte("[") {
            guard let close = authority.firstIndex(of: byte("]")) else { return false }
            host = authority[authority.startIndex...close]
            let rest = authority[(close + 1)...]
            if rest.isEmpty {
                port = nil
            } else {
                guard rest.first == byte(":") else { return false }
                port = rest.dropFirst()
            }
            guard isIPv6(host.dropFirst().dropLast()) else { return false }
        } else {
            if let colon = authority.firstIndex(of: byte(":")) {
                host = authority[..<colon]
                port = authority[(colon + 1)...]
            } else {
                host = authority
                port = nil
            }
            guard isIPv4(host) || isDNSName(host) else { return false }
        }
        return port.map(isPort) ?? true
    }

    static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    static func isHexDigit(_ byte: UInt8) -> Bool { isDigit(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte) }

    /// A decimal number without leading zeros (a lone `0` is fine), its value when it has at most `digits` digits.
    static func decimal(_ text: ArraySlice<UInt8>, digits: Int) -> Int? {
        guard (1...digits).contains(text.count), text.allSatisfy(isDigit) else { return nil }
        guard text.count == 1 || text.first != byte("0") else { return nil }
        return text.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// 1–65535, no leading zero.
    static func isPort(_ text: ArraySlice<UInt8>) -> Bool {
        guard let port = decimal(text, digits: 5) else { return false }
        return (1...65_535).contains(port)
    }

    /// Four dotted decimal numbers of 0–255, no leading zeros.
    static func isIPv4(_ text: ArraySlice<UInt8>) -> Bool {
        let parts = text.split(separator: byte("."), omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { decimal($0, digits: 3).map { $0 <= 255 } ?? false }
    }

    /// Labels of 1–63 letters, digits and hyphens, no hyphen first or last, at most 253 bytes in all; the last
    /// label starts with a letter (so nothing all-numeric, or `0x7f000001`, passes for a name).
    static func isDNSName(_ text: ArraySlice<UInt8>) -> Bool {
        guard (1...253).contains(text.count) else { return false }
        let labels = text.split(separator: byte("."), omittingEmptySubsequences: false)
        let wellFormed = labels.allSatisfy { label in
            (1...63).contains(label.count) && label.allSatisfy { isLetter($0) || isDigit($0) || $0 == byte("-") }
                && label.first != byte("-") && label.last != byte("-")
        }
        return wellFormed && labels.last?.first.map(isLetter) == true
    }

    /// An IPv6 address as RFC 3986 writes it (`IPv6address`): eight groups of 1–4 hexadecimal digits, the last
    /// two of which may be an IPv4 address, with one `::` standing for one or more groups of zeros.
    static func isIPv6(_ text: ArraySlice<UInt8>) -> Bool {
        let colon = byte(":")
        var doubleColon: Int?
        var index = text.startIndex
        while index < text.endIndex - 1 {
            if text[index] == colon, text[index + 1] == colon {
                guard doubleColon == nil else { return false }
                doubleColon = index
                index += 2
            } else {
                index += 1
            }
        }
        guard let doubleColon else { return groups(text, ipv4Tail: true) == 8 }
        guard let left = groups(text[..<doubleColon], ipv4Tail: false),
              let right = groups(text[(doubleColon + 2)...], ipv4Tail: true) else { return false }
        return left + right <= 7
    }

    /// How many 16-bit groups `text` (groups separated by single colons) stands for; nil when malformed.
    static func groups(_ text: ArraySlice<UInt8>, ipv4Tail: Bool) -> Int? {
        if text.isEmpty { return 0 }
        let pieces = text.split(separator: byte(":"), omittingEmptySubsequences: false)
        var count = 0
        for (position, piece) in pieces.enumerated() {
            if ipv4Tail, position == pieces.count - 1, piece.contains(byte(".")) {
                guard isIPv4(piece) else { return nil }
                count += 2
            } else {
                guard (1...4).contains(piece.count), piece.allSatisfy(isHexDigit) else { return nil }
                count += 1
            }
        }
        return count
    }

    /// RFC 3986 characters of a path, query or fragment (`pchar`, `/` and `?`), `%` followed by two
    /// hexadecimal digits, and one `#` at most, starting the fragment.
    static func isPathQueryFragment(_ text: ArraySlice<UInt8>) -> Bool {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?".utf8)
        var inFragment = false
        var index = text.startIndex
        while index < text.endIndex {
            let current = text[index]
            if current == byte("%") {
                guard index + 2 < text.endIndex, isHexDigit(text[index + 1]), isHexDigit(text[index + 2]) else { return false }
                index += 3
                continue
            }
            if current == byte("#") {
                guard !inFragment else { return false }
                inFragment = true
            } else if !allowed.contains(current) {
                return false
            }
            index += 1
        }
        return true
    }

    /// Foundation parses the text strictly, as an http(s) URL with a host and a valid port, and gives it back unchanged.
    static func foundationAgrees(_ text: String) -> Bool {
        guard let components = URLComponents(string: text, encodingInvalidCharacters: false),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.percentEncodedHost, !host.isEmpty, components.user == nil, components.password == nil
        else { return false }
        if let port = components.port, !(1...65_535).contains(port) { return false }
        return components.string == text
    }
}
