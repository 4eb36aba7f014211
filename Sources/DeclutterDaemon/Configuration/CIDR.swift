import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An address range such as `10.0.0.0/8` or `2001:db8::/32`, for the callback allowlist.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    let network: [UInt8]
    let prefixLength: Int

    /// Parses `address/prefix` (a bare address is a single host); nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let bytes = CIDR.bytes(of: first) else { return nil }
        let maximum = bytes.count * 8
        let length = parts.count == 2 ? Int(parts[1]) : maximum
        guard let length, (0...maximum).contains(length) else { return nil }
        self.network = CIDR.masked(bytes, length)
        self.prefixLength = length
    }

    public var description: String {
        let address = network.count == 4 ? network.map(String.init).joined(separator: ".") : CIDR.ipv6Text(network)
        return "\(address)/\(prefixLength)"
    }

    /// True when `address` (textual IPv4 or IPv6; IPv4-mapped IPv6 counts as IPv4) is in the range.
    public func contains(_ address: String) -> Bool {
        guard let bytes = CIDR.bytes(of: address) else { return false }
        return contains(bytes: bytes)
    }

    /// `contains` for an address already parsed: 4 or 16 bytes, network order.
    func contains(bytes: [UInt8]) -> Bool {
        var bytes = bytes
        if network.count == 4, bytes.count == 16, bytes.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] {
            bytes = Array(bytes.suffix(4))
        }
        return bytes.count == network.count && CIDR.masked(bytes, prefixLength) == network
    }

    static func bytes(of address: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = max(0, min(8, length - index * 8))
            return bits == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
    }

    static func ipv6Text(_ bytes: [UInt8]) -> String {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
