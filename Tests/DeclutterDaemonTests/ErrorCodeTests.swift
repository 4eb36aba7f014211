@testable import DeclutterDaemon
import Foundation
import Testing

/// The error codes are one list (`ErrorCode`, `RequestField`): the OpenAPI document's error schema and
/// docs/local-api.md name exactly those, and every code the local API's documented errors show is one of them.
@Suite("Error codes: one list")
struct ErrorCodeTests {
    static var errorCodeSchema: YAMLNode? {
        OpenAPITests.document["components"]?["schemas"]?["Error"]?["properties"]?["error"]?["properties"]?["code"]
    }

    @Test("the error schema's enum is exactly the local API's codes, and http_<status> its one pattern")
    func documentListsTheCodes() throws {
        let schema = try #require(Self.errorCodeSchema)
        let alternatives = schema["anyOf"]?.items ?? []
        let listed = alternatives.compactMap { $0["enum"]?.strings }.first ?? []
        #expect(listed == ErrorCode.localAPICodes, "openapi.yaml lists the codes in ErrorCode's order")
        #expect(alternatives.compactMap { $0["pattern"]?.string } == ["^http_[0-9]{3}$"])
        // Every code an example in the document shows is one of them.
        let shown = Set(OpenAPIDocument.yaml.matches(of: #/\bcode: ([a-z_0-9]+)/#).map { String($0.output.1) })
        #expect(shown.subtracting(listed).sorted() == [], "examples show codes of the list only")
    }

    @Test("docs/local-api.md names every code of the local API, and no code of the public listener alone")
    func pageNamesTheCodes() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let page = try String(contentsOf: root.appendingPathComponent("docs/local-api.md"), encoding: .utf8)
        for code in ErrorCode.localAPICodes {
            #expect(page.contains("`\(code)`"), "docs/local-api.md names `\(code)`")
        }
        for code in ErrorCode.publicListenerOnly {
            #expect(!page.contains("`\(code.rawValue)`"), "`\(code.rawValue)` is the public listener's")
        }
    }

    @Test("no two codes are spelled alike, and invalid_<field> names no code of its own")
    func codesAreDistinct() {
        let all = ErrorCode.allCases.map(\.rawValue) + RequestField.allCases.map(\.invalidCode)
        #expect(Set(all).count == all.count)
        #expect(!ErrorCode.allCases.contains { $0.rawValue.hasPrefix("http_") })
    }
}
