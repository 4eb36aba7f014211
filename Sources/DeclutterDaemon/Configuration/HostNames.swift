/// Rules about names and media types that more than one part of the daemon applies.
enum HostNames {
    /// `localhost` (and `*.localhost`), 127.0.0.0/8 and `::1`, given without port or brackets; a trailing dot
    /// (`localhost.`) is the same name.
    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased().hasSuffix(".") ? String(host.lowercased().dropLast()) : host.lowercased()
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// A name a host can have: dot-separated labels of ASCII letters, digits and hyphens, each 1 to 63 long, none
    /// starting or ending with a hyphen, 253 in all (an IPv4 address is one too). With `wildcard`, `*.` may lead
    /// (`*.example.com`: its subdomains). `-1` or a full-width digit is no host's name, and is refused.
    static func isDNSName(_ text: String, wildcard: Bool = false) -> Bool {
        let name = wildcard && text.hasPrefix("*.") ? String(text.dropFirst(2)) : text
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { $0 == 0x2D || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) || (0x41...0x5A).contains($0) }
        }
    }
}

enum MediaType {
    /// `application/json`, or any `+json` type, with or without parameters.
    static func isJSON(_ contentType: String) -> Bool {
        if contentType == "application/json" { return true }  // what nearly every caller sends: no parsing
        let type = contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return type == "application/json" || type.hasSuffix("+json")
    }
}
