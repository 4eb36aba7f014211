@testable import DeclutterAPI
import Foundation
import Testing

@Suite("JSON parser: strict RFC 8259, checked against Foundation's")
struct JSONParserTests {
    @Test("valid texts parse to what Foundation's JSONSerialization reads", arguments: [
        #"{}"#, #"[]"#, #"{"a": 1, "b": [true, false, null], "c": {"d": "e"}}"#, #" { "a" : "b" } "#,
        #"["\u00e9\u20ac\ud83d\ude00", "é€😀", "\"\\\/\b\f\n\r\t"]"#, #"[0, -0, 12, -7, 1.5, -0.25, 1e3, 2E-2, 3.0e+1]"#,
        #"[9223372036854775807, -9223372036854775808, 9223372036854775808]"#, #""just a string""#, #"42"#,
        #"{"a": 1, "a": 2}"#,
    ])
    func matchesFoundation(_ text: String) throws {
        let parsed = try #require(JSONValue.parse(Data(text.utf8)))
        let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        #expect(Self.plain(parsed) == Self.plain(foundation), "\(text)")
    }

    @Test("kinds are kept: a boolean is never a number, an integral number stays an integer", arguments: [
        (#"true"#, JSONValue.bool(true)), (#"1"#, .integer(1)), (#"1.0"#, .number(1)), (#"1e2"#, .number(100)),
        (#"-9223372036854775808"#, .integer(.min)), (#"null"#, .null), (#""""#, .string("")),
    ])
    func kinds(_ text: String, _ expected: JSONValue) {
        #expect(JSONValue.parse(Data(text.utf8)) == expected)
    }

    @Test("invalid texts are refused", arguments: [
        "", " ", "{", "}", "[1,]", #"{"a": 1,}"#, "[1 2]", #"{"a" 1}"#, #"{a: 1}"#, "[01]", "[1.]", "[.5]", "[1e]", "[+1]",
        "[-]", "[NaN]", "[Infinity]", "[1e999]", "tru", "nul", "[true false]", #"["a"#, #"["\x"]"#, #"["\u12"]"#,
        #"["\ud83d"]"#, #"["\ude00"]"#, #"["\ud83d\u0041"]"#, "[\"tab\there\"]", "{} {}", "[1] x", "// c\n{}", "{\"a\": 1} ,",
        "\u{FEFF}{}",
    ])
    func refused(_ text: String) {
        #expect(JSONValue.parse(Data(text.utf8)) == nil, "\(text.debugDescription)")
    }

    @Test func invalidUTF8IsRefused() {
        #expect(JSONValue.parse([UInt8(ascii: "\""), 0xFF, UInt8(ascii: "\"")]) == nil)
    }

    @Test func nestingIsCapped() {
        func nested(_ levels: Int) -> Data { Data((String(repeating: "[", count: levels) + String(repeating: "]", count: levels)).utf8) }
        #expect(JSONValue.parse(nested(JSONParser.maximumDepth)) != nil)
        #expect(JSONValue.parse(nested(JSONParser.maximumDepth + 1)) == nil)
        // A body of nothing but brackets, as large as a callback may be, is refused without exhausting the stack.
        #expect(JSONValue.parse(Data(String(repeating: "[", count: 65_536).utf8)) == nil)
    }

    /// Both sides as plain Swift values that compare across kinds the way JSON means them.
    static func plain(_ value: JSONValue) -> AnyHashable {
        switch value {
        case .null: return AnyHashable("<null>")
        case .bool(let flag): return AnyHashable("<bool \(flag)>")
        case .integer(let number): return AnyHashable(Double(number))
        case .number(let number): return AnyHashable(number)
        case .string(let text): return AnyHashable(text)
        case .array(let elements): return AnyHashable(elements.map(plain))
        case .object(let members): return AnyHashable(members.mapValues(plain))
        }
    }

    static func plain(_ value: Any) -> AnyHashable {
        switch value {
        case is NSNull: return AnyHashable("<null>")
        case let number as NSNumber where String(cString: number.objCType) == "c":  // how Foundation boxes a boolean
            return AnyHashable("<bool \(number.boolValue)>")
        case let number as NSNumber: return AnyHashable(number.doubleValue)
        case let text as String: return AnyHashable(text)
        case let elements as [Any]: return AnyHashable(elements.map(plain))
        case let members as [String: Any]: return AnyHashable(members.mapValues(plain))
        default: return AnyHashable("<unknown>")
        }
    }
}
