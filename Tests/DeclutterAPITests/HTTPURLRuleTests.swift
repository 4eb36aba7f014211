import DeclutterAPI
import Foundation
import Testing

/// The one rule for an absolute http(s) URL (docs/contract.md, "URLs"): what it accepts and refuses, and that
/// the published schema's `imageUrl` judges the same cases alike.
@Suite("Absolute http(s) URL rule")
struct HTTPURLRuleTests {
    static let accepted: [String] = [
        "https://cdn.example.com/result/1.png",
        "http://a.b/2.jpg",
        "HTTPS://CDN.EXAMPLE.COM/R.JPG",
        "Http://example.com",
        "https://example.com",
        "https://example.com/",
        "https://example.com?x=1",
        "https://example.com#frag",
        "http://localhost:8080/a.png?size=large&v=2#top",
        "http://127.0.0.1:54321",
        "https://0.0.0.0/x",
        "https://255.255.255.255:65535/x",
        "https://example.com:1/x",
        "https://[::1]/x.jpg",
        "https://[::1]:8443/x.jpg",
        "https://[::]/",
        "https://[2001:db8::8a2e:370:7334]:443/p",
        "https://[2001:0db8:0000:0000:0000:ff00:0042:8329]/",
        "https://[1:2:3:4:5:6:7::]/",
        "https://[::2:3:4:5:6:7:8]/",
        "https://[::ffff:192.0.2.1]/x",
        "https://[1:2:3:4:5:6:1.2.3.4]/",
        "https://[FE80::1]/",
        "https://xn--bcher-kva.example/photo-%C3%A9.jpg",
        "https://cdn.example.com/%20encoded%20space.jpg",
        "https://cdn.example.com/p/q/?a=b&c=d;e=f#x/y?z",
        "https://e.com/a'b!$&()*+,;=:@x?/?q#/?f:@",
        "https://e.com/~a-b._",
        "https://e.com/%00",
        "https://a-b.c-d.example/x",
        "https://3com.example/x",
        "https://1.2.3.4.example/x",
        "https://h2o/x",
        "https://e.com/x@y",
        "https://e.com/" + String(repeating: "a", count: 2048 - 14),
        "https://" + Array(repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61) + "/x",
    ]

    static let refused: [String] = [
        "",
        // control characters, space, non-ASCII
        "https://e.com/nul\u{0}.jpg",
        "https://e.com/a\u{9}b",
        "https://e.com/a\u{a}b",
        "https://e.com/r.jpg\u{a}",
        "https://e.com/a\u{d}b",
        "https://e.com/a\u{7f}b",
        "https://e.com/a\u{85}b",
        "https://e.com/a\u{9f}b",
        "https://e.com/a b",
        " https://e.com/x",
        "https://e.com/x ",
        "https://e.com/\u{e9}.jpg",
        "https://b\u{fc}cher.example/x",
        "https://e.com/a\u{2028}b",
        // scheme
        "ftp://e.com/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "/relative/x.jpg",
        "//e.com/x.jpg",
        "e.com/x.jpg",
        "https:/e.com/x",
        "https:e.com/x",
        "httpx://e.com/x",
        // host
        "https://",
        "https:///x",
        "https://?x=1",
        "https://#f",
        "https://:80/x",
        "https://[::1/x.jpg",
        "https://[::1]x/",
        "https://[::1]]/",
        "https://[]/",
        "https://[1:2:3:4:5:6:7:8:9]/",
        "https://[1::2::3]/",
        "https://[12345::]/",
        "https://[1:2:3:4:5:6:7]/",
        "https://[::1.2.3.4.5]/",
        "https://[1.2.3.4::]/",
        "https://[fe80::1%25eth0]/",
        "https://[v1.x]/",
        "https://::1/",
        "https://1.2.3.999/x",
        "https://1.2.3/x",
        "https://01.2.3.4/x",
        "https://256.1.1.1/x",
        "https://123/x",
        "https://0x7f000001/x",
        "https://e.123/x",
        "https://-e.com/x",
        "https://e-.com/x",
        "https://e..com/x",
        "https://.e.com/x",
        "https://e.com./x",
        "https://e_x.com/x",
        "https://e%2Ecom/x",
        "https://" + String(repeating: "a", count: 64) + ".com/x",
        "https://" + Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: ".") + "/x",
        // port
        "https://e.com:0/x",
        "https://e.com:99999/x",
        "https://e.com:65536/x",
        "https://e.com:080/x",
        "https://e.com:/x",
        "https://e.com:8a/x",
        "https://e.com:-1/x",
        "https://e.com:80:80/x",
        // userinfo
        "https://user:pass@e.com/x",
        "https://user@e.com/x",
        "https://@e.com/x",
        "https://e.com@evil.com/x",
        // path, query, fragment
        "https://e.com/a|b",
        "https://e.com/a[b]",
        "https://e.com/x?a=[1]",
        "https://e.com/a{b}",
        "https://e.com/a\\b",
        "https://e.com\\x",
        "https://e.com/a^b",
        "https://e.com/a`b",
        "https://e.com/a\"b",
        "https://e.com/a<b>",
        "https://e.com/a#b#c",
        "https://e.com/a%zz",
        "https://e.com/a%2",
        "https://e.com/a%",
        // length
        "https://e.com/" + String(repeating: "a", count: 2049 - 14),
    ]

    @Test("accepted", arguments: accepted)
    func accepts(_ url: String) {
        #expect(RetrievalPayloadValidator.isAbsoluteHTTPURL(url))
    }

    @Test("refused", arguments: refused)
    func refuses(_ url: String) {
        #expect(!RetrievalPayloadValidator.isAbsoluteHTTPURL(url))
    }

    @Test func lengthLimitIsInclusive() {
        let limit = RetrievalPayloadValidator.maximumURLLength
        #expect(limit == 2048)
        let prefix = "https://e.com/"
        #expect(RetrievalPayloadValidator.isAbsoluteHTTPURL(prefix + String(repeating: "a", count: limit - prefix.count)))
        #expect(!RetrievalPayloadValidator.isAbsoluteHTTPURL(prefix + String(repeating: "a", count: limit - prefix.count + 1)))
    }

    @Test("every port from 1 to 65535 is accepted, 0 and 65536 are not")
    func portRange() {
        let refusedPorts = (1...65_535).filter { !RetrievalPayloadValidator.isAbsoluteHTTPURL("https://e.com:\($0)/x") }
        #expect(refusedPorts.isEmpty)
        for port in ["0", "00", "65536", "65540", "65600", "66000", "70000", "99999", "100000", "0443"] {
            #expect(!RetrievalPayloadValidator.isAbsoluteHTTPURL("https://e.com:\(port)/x"), "port \(port)")
        }
    }

    @Test("every control character is refused, wherever it is")
    func controlCharacters() {
        let controls = Array(UInt32(0x00)...0x1F) + Array(UInt32(0x7F)...0x9F)
        for scalar in controls.compactMap(Unicode.Scalar.init) {
            for url in ["https://e.com/a\(scalar)b", "https://e\(scalar).com/", "\(scalar)https://e.com/", "https://e.com/?q=\(scalar)", "https://e.com/#\(scalar)"] {
                #expect(!RetrievalPayloadValidator.isAbsoluteHTTPURL(url), "U+\(String(scalar.value, radix: 16))")
            }
        }
    }

    @Test("a refused image URL in a payload breaks images.invalid_url")
    func payloadRefusesTheSameURLs() throws {
        for url in ["https://e.com/nul\u{0}.jpg", "https://e.com:99999/x.jpg", "https://[::1/x.jpg"] {
            let body = try JSONSerialization.data(withJSONObject: ["status": "SUCCEEDED", "images": [url]])
            guard case .failure(let violation) = RetrievalPayloadValidator.validate(body) else {
                Issue.record("accepted \(url.debugDescription)")
                continue
            }
            #expect(violation.rule == .imagesInvalidURL)
        }
    }

    // MARK: - The schema judges alike

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `$defs/imageUrl` of config/retrieval.schema.json, as a predicate: type string, maxLength, not/pattern, allOf/pattern.
    static func schemaImageURL() throws -> (String) -> Bool {
        let data = try Data(contentsOf: root.appendingPathComponent("config/retrieval.schema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let definition = try #require((schema["$defs"] as? [String: Any])?["imageUrl"] as? [String: Any])
        #expect(Set(definition.keys) == ["description", "type", "maxLength", "not", "allOf"], "the test reads only these keywords")
        #expect(definition["type"] as? String == "string")
        let maximumLength = try #require(definition["maxLength"] as? Int)
        let forbiddenPattern = try #require((definition["not"] as? [String: Any])?["pattern"] as? String)
        let forbidden = try NSRegularExpression(pattern: forbiddenPattern)
        let parts = try #require(definition["allOf"] as? [[String: Any]])
        let patterns = parts.compactMap { $0["pattern"] as? String }
        #expect(patterns.count == parts.count && !patterns.isEmpty, "every allOf part is a pattern")
        let required = try patterns.map { try NSRegularExpression(pattern: $0) }
        func found(_ regex: NSRegularExpression, in text: String) -> Bool {
            regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
        return { text in
            text.unicodeScalars.count <= maximumLength && !found(forbidden, in: text) && required.allSatisfy { found($0, in: text) }
        }
    }

    @Test func schemaAcceptsWhatTheRuleAccepts() throws {
        let schema = try Self.schemaImageURL()
        for url in Self.accepted { #expect(schema(url), "schema refuses \(url.debugDescription)") }
    }

    @Test func schemaRefusesWhatTheRuleRefuses() throws {
        let schema = try Self.schemaImageURL()
        for url in Self.refused { #expect(!schema(url), "schema accepts \(url.debugDescription)") }
    }
}
