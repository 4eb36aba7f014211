@testable import DeclutterDaemon
import Testing

/// Host names in settings are names a host can have (letters, digits and hyphens, in labels).
@Suite("Host names in settings")
struct HostNameRuleTests {
    @Test("DNS names and IPv4 addresses pass; -1, full-width digits, empty labels and URLs do not", arguments: [
        ("cdn.example.com", true), ("127.0.0.1", true), ("a-b.internal", true), ("xn--bcher-kva.example", true),
        ("-1", false), ("host-.example", false), ("\u{FF11}\u{FF12}.example", false), ("a..b", false), ("", false),
        ("http://cdn.example.com", false), ("cdn.example.com:443", false), (String(repeating: "a", count: 64) + ".example", false),
    ])
    func names(_ name: String, _ valid: Bool) {
        #expect(HostNames.isDNSName(name) == valid, "\(name)")
    }

    @Test("a leading *. is allowed only where subdomains are meant")
    func wildcard() {
        #expect(HostNames.isDNSName("*.example.net", wildcard: true))
        #expect(!HostNames.isDNSName("*.example.net"))
        #expect(!HostNames.isDNSName("*", wildcard: true))
    }
}
