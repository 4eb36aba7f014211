@testable import DeclutterDaemon
import TestSupport
import Testing

@Suite("Source ranges for the callback allowlist")
struct CIDRTests {
    @Test func ipv4Ranges() throws {
        let range = try #require(CIDR("10.1.0.0/16"))
        #expect(range.contains("10.1.200.3"))
        #expect(!range.contains("10.2.0.1"))
        #expect(range.contains("::ffff:10.1.0.9"), "an IPv4-mapped IPv6 address counts as IPv4")
        #expect(range.description == "10.1.0.0/16")
    }

    @Test func ipv6RangesAndSingleHosts() throws {
        let range = try #require(CIDR("2001:db8::/32"))
        #expect(range.contains("2001:db8:1::5"))
        #expect(!range.contains("2001:db9::1"))
        #expect(!range.contains("10.0.0.1"))
        let host = try #require(CIDR("::1"))
        #expect(host.contains("::1"))
        #expect(host.description == "::1/128")
    }

    @Test("malformed ranges are refused", arguments: ["", "10.0.0.0/33", "10.0.0/8", "example.com", "::1/129", "10.0.0.0/-1"])
    func malformed(_ text: String) {
        #expect(CIDR(text) == nil)
    }
}
