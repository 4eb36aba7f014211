import Foundation

/// Which URLs the archive may download, checked before every request and every redirect hop: the URLs come from
/// upstream answers, so they must not be a way to reach this machine or its network (a cloud metadata service,
/// an admin port on 10.x), nor to send credentials anywhere.
public struct DownloadPolicy: Sendable {
    /// Lets private, loopback and other non-public addresses through (a test rig, an all-internal deployment).
    public var allowPrivate: Bool
    /// The hosts that may be downloaded from: exact names, or `*.example.com` for its subdomains (not
    /// `example.com` itself); case does not matter. Empty: any host.
    public var allowHosts: [String]
    /// Address ranges allowed although not public (an internal CDN), without opening every private address.
    public var allowNetworks: [CIDR]

    /// The settings that loosen the policy, as refusals name them.
    static let allowPrivateSetting = "archive.allow_private"
    static let allowHostsSetting = "archive.allow_hosts"

    public init(allowPrivate: Bool = false, allowHosts: [String] = [], allowNetworks: [CIDR] = []) {
        self.allowPrivate = allowPrivate
        self.allowHosts = allowHosts
        self.allowNetworks = allowNetworks
    }

    /// Nil when `url` may be fetched as written: http or https, no credentials in it, a host that is allowed.
    /// Otherwise the reason. Its addresses are checked after resolution, by `check(addresses:)`.
    public func check(_ url: URL) -> String? {
        let scheme = url.scheme?.lowercased() ?? ""
        guard scheme == "http" || scheme == "https" else {
            return scheme.isEmpty ? "refused: not an absolute URL" : "refused: \(scheme) URLs are not downloaded (only http and https)"
        }
        guard url.user(percentEncoded: true) == nil, url.password(percentEncoded: true) == nil else {
            return "refused: the URL carries credentials"
        }
        if let port = url.port, !(1...65_535).contains(port) { return "refused: port \(port) is not a TCP port" }
        guard let host = Self.host(of: url) else { return "refused: the URL has no host" }
        guard Self.isPlain(host) else { return "refused: the host \(host.debugDescription) is not a plain name or address" }
        guard allowsHost(host) else { return "refused: host \(host) is not in \(Self.allowHostsSetting)" }
        return nil
    }

    /// Nil when a connection to every one of `addresses` is allowed; otherwise the reason for the first that is
    /// not. One bad address refuses the lot: the client would not say which address it connects to.
    public func check(addresses: [String]) -> String? {
        guard !addresses.isEmpty else { return "refused: no address to connect to" }
        return addresses.lazy.compactMap(check(address:)).first
    }

    /// Nil when a connection to the textual `address` is allowed: a public one, or any when `allowPrivate`, or one
    /// inside `allowNetworks`.
    public func check(address: String) -> String? {
        guard let kind = AddressKind.of(address), !allowPrivate, !allowNetworks.contains(where: { $0.contains(address) }) else {
            return nil
        }
        return "refused: \(address) is \(kind.phrase) (\(Self.allowPrivateSetting) is off)"
    }

    /// True when `host` (a name or an address) may be downloaded from, by `allowHosts`.
    public func allowsHost(_ host: String) -> Bool {
        guard !allowHosts.isEmpty else { return true }
        let host = Self.normalized(host)
        return allowHosts.contains { entry in
            let entry = Self.normalized(entry)
            if entry.hasPrefix("*.") { return host.hasSuffix(entry.dropFirst()) }  // ".example.com": subdomains only
            return host == entry
        }
    }

    /// The URL's host as the checks and the resolver see it: lowercase, no trailing dot, no IPv6 brackets.
    static func host(of url: URL) -> String? {
        guard let host = url.host(percentEncoded: false), !host.isEmpty else { return nil }
        let name = normalized(host)
        return name.isEmpty ? nil : name
    }

    /// Letters, digits, `.`, `-`, `_`, and `:` for IPv6: nothing that a URL parser could read as the end of the
    /// host (a percent-encoded `#`, `/` or `@` decodes to one), nor an IPv6 zone (`%eth0`).
    static func isPlain(_ host: String) -> Bool {
        host.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || [0x2E, 0x2D, 0x5F, 0x3A].contains($0) }
    }

    static func normalized(_ host: String) -> String {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }
}
