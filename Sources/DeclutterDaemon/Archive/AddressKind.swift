/// The kinds of addresses a download must not reach unless the operator says so: everything but the public
/// internet. An internal service (a cloud metadata endpoint at 169.254.169.254, a database on 10.x) must not be
/// reachable by handing the daemon a URL.
public enum AddressKind: String, Sendable, CaseIterable {
    case loopback, unspecified, `private`, carrierGradeNAT, linkLocal, uniqueLocal, multicast, broadcast, reserved, documentation

    /// As the reason says it: "127.0.0.1 is a loopback address".
    public var phrase: String {
        switch self {
        case .loopback: "a loopback address"
        case .unspecified: "an unspecified address"
        case .private: "a private address"
        case .carrierGradeNAT: "a carrier-grade NAT address"
        case .linkLocal: "a link-local address"
        case .uniqueLocal: "a unique-local address"
        case .multicast: "a multicast address"
        case .broadcast: "the broadcast address"
        case .reserved: "a reserved address"
        case .documentation: "a documentation address"
        }
    }

    /// The kind of the textual IPv4 or IPv6 `address`; nil for a public address. Text that is not an address is
    /// `reserved`: what cannot be classified is not let through. IPv6 forms that carry an IPv4 address
    /// (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are
    /// judged by that IPv4 address.
    public static func of(_ address: String) -> AddressKind? {
        guard let bytes = CIDR.bytes(of: address) else { return .reserved }
        return bytes.count == 4 ? ipv4(bytes) : ipv6(bytes)
    }

    /// The IPv4 ranges that are not public; the first match decides (broadcast before the reserved 240/4).
    static let ipv4Ranges: [(CIDR, AddressKind)] = table([
        ("0.0.0.0/8", .unspecified), ("127.0.0.0/8", .loopback),
        ("10.0.0.0/8", .private), ("172.16.0.0/12", .private), ("192.168.0.0/16", .private),
        ("100.64.0.0/10", .carrierGradeNAT), ("169.254.0.0/16", .linkLocal),
        ("192.0.0.0/24", .reserved), ("198.18.0.0/15", .reserved),
        ("192.0.2.0/24", .documentation), ("198.51.100.0/24", .documentation), ("203.0.113.0/24", .documentation),
        ("224.0.0.0/4", .multicast), ("255.255.255.255/32", .broadcast), ("240.0.0.0/4", .reserved),
    ])

    /// The IPv6 ranges that are not public, checked after the IPv4-carrying forms. Beyond them, anything outside
    /// global unicast `2000::/3` is reserved.
    static let ipv6Ranges: [(CIDR, AddressKind)] = table([
        ("::/128", .unspecified), ("::1/128", .loopback),
        ("fe80::/10", .linkLocal), ("fec0::/10", .private), ("fc00::/7", .uniqueLocal), ("ff00::/8", .multicast),
        ("2001:db8::/32", .documentation), ("3fff::/20", .documentation),
        ("2001::/32", .reserved), ("64:ff9b:1::/48", .reserved), ("100::/64", .reserved),
    ])

    static let globalUnicast = CIDR("2000::/3")!

    private static func ipv4(_ bytes: [UInt8]) -> AddressKind? {
        ipv4Ranges.first { $0.0.contains(bytes: bytes) }?.1
    }

    private static func ipv6(_ bytes: [UInt8]) -> AddressKind? {
        if bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return ipv4(Array(bytes[12...])) }
        let zeroPrefix = bytes.prefix(12).allSatisfy { $0 == 0 }
        // IPv4-compatible (`::a.b.c.d`, deprecated), but not `::` and `::1` themselves
        if zeroPrefix, bytes[12] != 0 || bytes[13] != 0 { return ipv4(Array(bytes[12...])) }
        if bytes.prefix(12) == [0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] { return ipv4(Array(bytes[12...])) }  // NAT64
        if bytes[0] == 0x20, bytes[1] == 0x02 { return ipv4(Array(bytes[2..<6])) }  // 6to4
        if let kind = ipv6Ranges.first(where: { $0.0.contains(bytes: bytes) })?.1 { return kind }
        return globalUnicast.contains(bytes: bytes) ? nil : .reserved
    }

    /// Parses a literal table; its entries are fixed and covered by the tests.
    private static func table(_ entries: [(String, AddressKind)]) -> [(CIDR, AddressKind)] {
        entries.map { (CIDR($0.0)!, $0.1) }
    }
}
