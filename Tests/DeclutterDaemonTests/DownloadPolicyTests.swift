@testable import DeclutterDaemon
import Foundation
import Testing

@Suite("Download policy: which URLs and addresses the archive may fetch")
struct DownloadPolicyTests {
    @Test("every non-public range, IPv4 and IPv6", arguments: [
        ("127.0.0.1", AddressKind.loopback), ("127.255.255.254", .loopback), ("::1", .loopback),
        ("0.0.0.0", .unspecified), ("0.1.2.3", .unspecified), ("::", .unspecified),
        ("10.0.0.1", .private), ("10.255.255.255", .private), ("172.16.0.1", .private), ("172.31.255.255", .private),
        ("192.168.1.1", .private), ("fec0::1", .private),
        ("100.64.0.1", .carrierGradeNAT), ("100.127.255.255", .carrierGradeNAT),
        ("169.254.169.254", .linkLocal), ("fe80::1", .linkLocal), ("febf::1", .linkLocal),
        ("fc00::1", .uniqueLocal), ("fd12:3456::1", .uniqueLocal),
        ("224.0.0.1", .multicast), ("239.255.255.250", .multicast), ("ff02::1", .multicast),
        ("255.255.255.255", .broadcast), ("240.0.0.1", .reserved), ("198.18.0.1", .reserved), ("192.0.0.8", .reserved),
        ("192.0.2.1", .documentation), ("198.51.100.7", .documentation), ("203.0.113.9", .documentation),
        ("2001:db8::1", .documentation),
        // IPv6 forms carrying an IPv4 address are judged by it
        ("::ffff:127.0.0.1", .loopback), ("::ffff:10.1.2.3", .private), ("::ffff:169.254.169.254", .linkLocal),
        ("::ffff:7f00:1", .loopback), ("::127.0.0.1", .loopback), ("::10.0.0.1", .private),
        ("64:ff9b::127.0.0.1", .loopback), ("64:ff9b::a00:1", .private), ("2002:a00:1::1", .private),
        // outside global unicast
        ("100::1", .reserved), ("4000::1", .reserved), ("2001::1", .reserved),
        ("not an address", .reserved),
    ] as [(String, AddressKind)])
    func notPublic(_ address: String, _ kind: AddressKind) {
        #expect(AddressKind.of(address) == kind, "\(address)")
    }

    @Test("public addresses", arguments: [
        "8.8.8.8", "1.1.1.1", "93.184.216.34", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1",
        "169.253.1.1", "192.167.1.1", "223.255.255.255", "2606:4700::1111", "2a00:1450:4001::200e",
        "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
    ])
    func isPublic(_ address: String) {
        #expect(AddressKind.of(address) == nil, "\(address)")
    }

    @Test func addressRefusals() throws {
        let strict = DownloadPolicy()
        #expect(strict.check(address: "127.0.0.1") == "refused: 127.0.0.1 is a loopback address (archive.allow_private is off)")
        #expect(strict.check(address: "::ffff:169.254.169.254")
            == "refused: ::ffff:169.254.169.254 is a link-local address (archive.allow_private is off)")
        #expect(strict.check(address: "8.8.8.8") == nil)
        #expect(DownloadPolicy(allowPrivate: true).check(address: "127.0.0.1") == nil)
        let network = DownloadPolicy(allowNetworks: [try #require(CIDR("10.20.0.0/16"))])
        #expect(network.check(address: "10.20.3.4") == nil)
        #expect(network.check(address: "::ffff:10.20.3.4") == nil)
        #expect(network.check(address: "10.21.0.1") != nil)
    }

    @Test("one refused address refuses them all")
    func anyRefusedAddress() {
        let policy = DownloadPolicy()
        #expect(policy.check(addresses: ["8.8.8.8", "2606:4700::1111"]) == nil)
        #expect(policy.check(addresses: ["8.8.8.8", "10.0.0.1"]) == "refused: 10.0.0.1 is a private address (archive.allow_private is off)")
        #expect(policy.check(addresses: []) != nil)
    }

    @Test("URLs: http and https only, no credentials, an allowed host", arguments: [
        ("https://cdn.example.com/a.png", nil),
        ("http://cdn.example.com:8080/a.png?x=1", nil),
        ("HTTPS://CDN.Example.COM/a.png", nil),
        ("ftp://cdn.example.com/a.png", "refused: ftp URLs are not downloaded (only http and https)"),
        ("file:///etc/passwd", "refused: file URLs are not downloaded (only http and https)"),
        ("gopher://cdn.example.com/", "refused: gopher URLs are not downloaded (only http and https)"),
        ("https://user:secret@cdn.example.com/a.png", "refused: the URL carries credentials"),
        ("https://token@cdn.example.com/a.png", "refused: the URL carries credentials"),
        ("/relative/a.png", "refused: not an absolute URL"),
        ("https://evil.example%23.cdn.example/a.png", #"refused: the host "evil.example#.cdn.example" is not a plain name or address"#),
        ("https://evil.example%2F.cdn.example/a.png", #"refused: the host "evil.example/.cdn.example" is not a plain name or address"#),
        ("http://[fe80::1%25eth0]/a.png", #"refused: the host "fe80::1%eth0" is not a plain name or address"#),
        ("http://%31%32%37.0.0.1/a.png", nil),  // plainly 127.0.0.1 once decoded: its address is checked next
        ("http:///a.png", "refused: the URL has no host"),
        ("http://cdn.example.com:65536/a.png", "refused: port 65536 is not a TCP port"),
        ("http://cdn.example.com:0/a.png", "refused: port 0 is not a TCP port"),
    ] as [(String, String?)])
    func urls(_ text: String, _ expected: String?) throws {
        let url = try #require(URL(string: text))
        #expect(DownloadPolicy().check(url) == expected)
    }

    @Test("allowed hosts: exact names, and *.name for subdomains only, case-insensitive")
    func allowedHosts() throws {
        let policy = DownloadPolicy(allowHosts: ["images.example.com", "*.cdn.example", "[2001:db8::1]", "10.0.0.5"])
        for host in ["images.example.com", "IMAGES.example.com.", "a.cdn.example", "a.b.CDN.example", "2001:db8::1", "10.0.0.5"] {
            #expect(policy.allowsHost(host), "\(host)")
        }
        for host in ["example.com", "other.example.com", "cdn.example", "evilcdn.example", "images.example.com.evil", "10.0.0.6"] {
            #expect(!policy.allowsHost(host), "\(host)")
        }
        #expect(DownloadPolicy().allowsHost("anything.example"))
        #expect(policy.check(try #require(URL(string: "https://other.example.com/a.png")))
            == "refused: host other.example.com is not in archive.allow_hosts")
        #expect(policy.check(try #require(URL(string: "https://x.cdn.example/a.png"))) == nil)
        #expect(policy.check(try #require(URL(string: "http://[2001:db8::1]:8080/a.png"))) == nil)
    }
}
