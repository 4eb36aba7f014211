/// A strict JSON parser (RFC 8259) for the small bodies the daemon takes: callbacks and local API requests.
/// Foundation's decoder, asked for a `JSONValue`, has to guess each value's kind by trying them in turn, and
/// every wrong guess throws: most of a callback's cost before it reached the store. This reads each value once.
///
/// Strict where Foundation forgives: no trailing commas, no comments, no leading zeros, no control characters
/// in strings, no lone surrogates, nothing after the value but whitespace; nesting is capped at
/// `maximumDepth`. A key given twice keeps its last value.
struct JSONParser {
    /// Arrays and objects nested deeper than this are refused rather than parsed (each level is a stack frame).
    static let maximumDepth = 512

    struct SyntaxError: Error {}

    private let bytes: [UInt8]
    private var index = 0

    static func parse(_ body: some Collection<UInt8>) throws(SyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: Array(body))
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw SyntaxError() }
        return value
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws(SyntaxError) {
        guard current == byte else { throw SyntaxError() }
        index += 1
    }

    private mutating func value(depth: Int) throws(SyntaxError) -> JSONValue {
        guard depth < Self.maximumDepth, let byte = current else { throw SyntaxError() }
        switch byte {
        case UInt8(ascii: "{"): return .object(try object(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try array(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    private mutating func object(depth: Int) throws(SyntaxError) -> [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        try items(from: UInt8(ascii: "{"), to: UInt8(ascii: "}")) { parser throws(SyntaxError) in
            let key = try parser.string()
            parser.skipWhitespace()
            try parser.expect(UInt8(ascii: ":"))
            parser.skipWhitespace()
            members[key] = try parser.value(depth: depth)
        }
        return members
    }

    private mutating func array(depth: Int) throws(SyntaxError) -> [JSONValue] {
        var elements: [JSONValue] = []
        try items(from: UInt8(ascii: "["), to: UInt8(ascii: "]")) { parser throws(SyntaxError) in
            elements.append(try parser.value(depth: depth))
        }
        return elements
    }

    /// `open`, then nothing or items separated by commas (no trailing one), then `close`.
    private mutating func items(from open: UInt8, to close: UInt8,
                                _ item: (inout JSONParser) throws(SyntaxError) -> Void) throws(SyntaxError) {
        try expect(open)
        skipWhitespace()
        if current == close {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try item(&self)
            skipWhitespace()
            guard current == UInt8(ascii: ",") else { break }
            index += 1
        }
        try expect(close)
    }

    private mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - index >= expected.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
            throw SyntaxError()
        }
        index += expected.count
    }

    /// A string; the body was checked to be UTF-8 before, so its bytes are copied as they are, escapes decoded.
    private mutating func string() throws(SyntaxError) -> String {
        try expect(UInt8(ascii: "\""))
        var text: [UInt8] = []
        while let byte = current {
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try escape(into: &text)
            case 0x00..<0x20:
                throw SyntaxError()
            default:
                text.append(byte)
            }
        }
        throw SyntaxError()
    }

    private mutating func escape(into text: inout [UInt8]) throws(SyntaxError) {
        guard let byte = current else { throw SyntaxError() }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try hex4())
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                try expect(UInt8(ascii: "\\"))
                try expect(UInt8(ascii: "u"))
                let low = UInt32(try hex4())
                guard (0xDC00..<0xE000).contains(low) else { throw SyntaxError() }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw SyntaxError() }  // a lone low surrogate
            text.append(contentsOf: String(Character(unicode)).utf8)
        default:
            throw SyntaxError()
        }
    }

    private mutating func hex4() throws(SyntaxError) -> UInt16 {
        guard bytes.count - index >= 4 else { throw SyntaxError() }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw SyntaxError()
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`: an integer when it has neither fraction nor exponent and
    /// fits 64 bits, else a double.
    private mutating func number() throws(SyntaxError) -> JSONValue {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, isDigit(first) else { throw SyntaxError() }
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            skipDigits()
        }
        var integral = true
        if current == UInt8(ascii: ".") {
            index += 1
            guard let byte = current, isDigit(byte) else { throw SyntaxError() }
            skipDigits()
            integral = false
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard let byte = current, isDigit(byte) else { throw SyntaxError() }
            skipDigits()
            integral = false
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if integral, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else { throw SyntaxError() }
        return .number(value)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while let byte = current, isDigit(byte) { index += 1 }
    }
}
