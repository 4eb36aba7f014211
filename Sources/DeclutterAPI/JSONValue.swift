import Foundation

/// Any JSON value, decoded without loss of its kind (a boolean never passes for a number).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The value as a whole number, when it is one (3.0 counts, as in JSON Schema).
    var wholeNumber: Int64? {
        switch self {
        case .integer(let value): return value
        case .number(let value) where value.rounded() == value && abs(value) < 9.2e18: return Int64(value)
        default: return nil
        }
    }

    var isNull: Bool { self == .null }
}

extension JSONValue {
    /// Parses a JSON text (strict RFC 8259, UTF-8: `JSONParser`); nil when it is not one.
    public static func parse(_ body: some Collection<UInt8>) -> JSONValue? {
        let bytes = Array(body)
        guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
        return try? JSONParser.parse(bytes)
    }
}
