import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `declutterd.toml` file: a small TOML subset, parsed here without a dependency.
///
/// Accepted: `[section]` headers; `key = value` lines (a key may be dotted, `log.level = "info"`); values that
/// are double-quoted strings (escapes `\"`, `\\`, `\n`, `\t`, `\r`, `\uXXXX`), single-quoted literal strings,
/// bare numbers, booleans and durations (`10m`), and arrays of strings (`["10.0.0.0/8", "::1"]`, possibly over
/// several lines), which become one comma-separated value; `#` comments; blank lines. Anything else is an
/// error naming the file and the line: `declutterd.toml:12: expected key = value`.
///
/// The file only carries text: which keys exist and what their values mean is `ConfigurationLoader`'s business.
public struct ConfigurationFile: Sendable, Equatable {
    /// One `key = value`, with its full key (`upstream.base_url`) and the line it is on.
    public struct Entry: Sendable, Equatable {
        public let key: String
        public let value: String
        public let line: Int

        public init(key: String, value: String, line: Int) {
            self.key = key
            self.value = value
            self.line = line
        }
    }

    /// The path as given (it names the file in messages).
    public let path: String
    /// In file order.
    public let entries: [Entry]

    public init(path: String, entries: [Entry]) {
        self.path = path
        self.entries = entries
    }

    /// Parses `text`; errors are `ConfigurationError("PATH:LINE", problem)`.
    public init(parsing text: String, path: String) throws(ConfigurationError) {
        var parser = Parser(text: text, path: path)
        self.init(path: path, entries: try parser.parse())
    }

    public func entry(_ key: String) -> Entry? {
        entries.first { $0.key == key }
    }

    /// `PATH:LINE`, for messages and sources.
    public func location(_ entry: Entry) -> String { "\(path):\(entry.line)" }

    /// Reads and parses the file at `path`. `origin` names who asked for it (`--config`, `DECLUTTERD_CONFIG`,
    /// `$CONFIGURATION_DIRECTORY`) and is the key of the error when the file cannot be read.
    public static func read(path: String, origin: String) throws(ConfigurationError) -> ConfigurationFile {
        let data: Data
        switch ConfigurationFile.contents(of: path, limit: maximumSize) {
        case .success(let contents): data = contents
        case .failure(let problem): throw ConfigurationError(origin, "cannot read \(path): \(problem)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(origin, "\(path) is not UTF-8 text")
        }
        return try ConfigurationFile(parsing: text, path: path)
    }

    /// Larger than any sensible configuration: refuse rather than read a wrong file whole.
    static let maximumSize = 1 << 20

    /// A small file's bytes, or why not, in the system's own words (`Permission denied`, `No such file or
    /// directory`, `Is a directory`): what `open` and `read` said, not a guess.
    static func contents(of path: String, limit: Int) -> Result<Data, FileProblem> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(FileProblem(errno: errno)) }
        defer { Glibc.close(descriptor) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while data.count <= limit {
            let count = Glibc.read(descriptor, &buffer, buffer.count)
            if count == 0 { break }
            guard count > 0 else {
                if errno == EINTR { continue }
                return .failure(FileProblem(errno: errno))
            }
            data.append(contentsOf: buffer[0..<count])
        }
        guard data.count <= limit else { return .failure(FileProblem("larger than \(limit) bytes")) }
        return .success(data)
    }

    struct FileProblem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
        init(errno code: Int32) { description = String(cString: strerror(code)) }
    }
}

// MARK: - The parser

private struct Parser {
    let scalars: [Unicode.Scalar]
    let path: String
    var index = 0
    var line = 1

    init(text: String, path: String) {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        self.scalars = scalars
        self.path = path
    }

    mutating func parse() throws(ConfigurationError) -> [ConfigurationFile.Entry] {
        var entries: [ConfigurationFile.Entry] = []
        var section = ""
        while true {
            skipBlanks()
            skipComment()
            guard let next = peek else { break }
            if next == "\n" || next == "\r" {
                try endOfLine(after: "")
                continue
            }
            let start = line
            if next == "[" {
                advance()
                if peek == "[" { throw error("arrays of tables ([[...]]) are not supported", at: start) }
                skipBlanks()
                guard let name = parseKey() else { throw error("expected a section name in [...]", at: start) }
                skipBlanks()
                guard peek == "]" else { throw error("expected ] to close the section header", at: start) }
                advance()
                try endOfLine(after: "the section header")
                section = name
                continue
            }
            guard let key = parseKey() else { throw error("expected key = value", at: start) }
            skipBlanks()
            guard peek == "=" else { throw error("expected key = value", at: start) }
            advance()
            skipBlanks()
            let value = try parseValue(start: start)
            try endOfLine(after: "the value")
            let fullKey = section.isEmpty ? key : section + "." + key
            if let earlier = entries.first(where: { $0.key == fullKey }) {
                throw error("\(fullKey) is set twice (first at line \(earlier.line))", at: start)
            }
            entries.append(ConfigurationFile.Entry(key: fullKey, value: value, line: start))
        }
        return entries
    }

    // MARK: Pieces

    /// A bare key, dotted parts allowed (`local.listen`, `a . b`); nil when there is none.
    mutating func parseKey() -> String? {
        var parts: [String] = []
        while true {
            var part = ""
            while let scalar = peek, Self.isKeyCharacter(scalar) {
                part.unicodeScalars.append(scalar)
                advance()
            }
            guard !part.isEmpty else { return nil }
            parts.append(part)
            let save = (index, line)
            skipBlanks()
            guard peek == "." else {
                (index, line) = save
                return parts.joined(separator: ".")
            }
            advance()
            skipBlanks()
        }
    }

    mutating func parseValue(start: Int) throws(ConfigurationError) -> String {
        switch peek {
        case nil, "\n", "\r", "#":
            throw error("expected a value after =", at: start)
        case "\"":
            return try parseBasicString()
        case "'":
            return try parseLiteralString()
        case "[":
            return try parseArray(start: start)
        default:
            return try parseBare(start: start)
        }
    }

    /// A number, a boolean or a duration: `8`, `2.5`, `true`, `10m`, `500ms`.
    mutating func parseBare(start: Int) throws(ConfigurationError) -> String {
        var text = ""
        while let scalar = peek, scalar != " ", scalar != "\t", scalar != "\n", scalar != "\r", scalar != "#" {
            text.unicodeScalars.append(scalar)
            advance()
        }
        let isBoolean = text == "true" || text == "false"
        let startsLikeANumber = text.unicodeScalars.first.map { ("0"..."9").contains($0) || $0 == "-" || $0 == "+" } ?? false
        let plain = text.unicodeScalars.allSatisfy { Self.isKeyCharacter($0) || $0 == "." || $0 == "+" }
        guard isBoolean || (startsLikeANumber && plain) else {
            throw error("text values must be double-quoted: \"\(text)\"", at: start)
        }
        return isBoolean ? text : text.replacingOccurrences(of: "_", with: "")
    }

    mutating func parseBasicString() throws(ConfigurationError) -> String {
        let start = line
        advance()  // the opening quote
        if peek == "\"", peekAhead == "\"" { throw error("multi-line strings (\"\"\") are not supported", at: start) }
        var text = ""
        while true {
            guard let scalar = peek, scalar != "\n", scalar != "\r" else { throw error("unterminated string (a closing \" is missing)", at: start) }
            advance()
            switch scalar {
            case "\"":
                return text
            case "\\":
                guard let escaped = peek else { throw error("unterminated string (a closing \" is missing)", at: start) }
                advance()
                switch escaped {
                case "\"": text += "\""
                case "\\": text += "\\"
                case "n": text += "\n"
                case "t": text += "\t"
                case "r": text += "\r"
                case "u", "U":
                    let count = escaped == "u" ? 4 : 8
                    var hex = ""
                    for _ in 0..<count {
                        guard let digit = peek, digit.properties.isASCIIHexDigit else {
                            throw error("\\\(escaped) takes \(count) hexadecimal digits", at: start)
                        }
                        hex.unicodeScalars.append(digit)
                        advance()
                    }
                    guard let code = UInt32(hex, radix: 16), let character = Unicode.Scalar(code) else {
                        throw error("\\\(escaped)\(hex) is not a Unicode scalar", at: start)
                    }
                    text.unicodeScalars.append(character)
                default:
                    throw error("unsupported escape \\\(escaped) in a string (use \\\" or \\\\)", at: start)
                }
            default:
                text.unicodeScalars.append(scalar)
            }
        }
    }

    mutating func parseLiteralString() throws(ConfigurationError) -> String {
        let start = line
        advance()  // the opening quote
        if peek == "'", peekAhead == "'" { throw error("multi-line strings (''') are not supported", at: start) }
        var text = ""
        while true {
            guard let scalar = peek, scalar != "\n", scalar != "\r" else { throw error("unterminated string (a closing ' is missing)", at: start) }
            advance()
            if scalar == "'" { return text }
            text.unicodeScalars.append(scalar)
        }
    }

    /// `["a", "b"]`, over as many lines as it takes, comments allowed between elements: `a,b`.
    mutating func parseArray(start: Int) throws(ConfigurationError) -> String {
        advance()  // [
        var elements: [String] = []
        while true {
            skipWhitespaceAndComments()
            switch peek {
            case nil:
                throw error("unterminated array (a closing ] is missing)", at: start)
            case "]":
                advance()
                return elements.joined(separator: ",")
            case "\"":
                elements.append(try parseBasicString())
            case "'":
                elements.append(try parseLiteralString())
            default:
                throw error("arrays hold double-quoted strings: [\"a\", \"b\"]", at: line)
            }
            skipWhitespaceAndComments()
            switch peek {
            case ",": advance()
            case "]": continue
            case nil: throw error("unterminated array (a closing ] is missing)", at: start)
            default: throw error("expected , or ] in the array", at: line)
            }
        }
    }

    /// After a statement: blanks, maybe a comment, then the end of the line or of the file.
    mutating func endOfLine(after what: String) throws(ConfigurationError) {
        skipBlanks()
        skipComment()
        switch peek {
        case nil:
            return
        case "\n":
            advance()
        case "\r" where peekAhead == "\n":
            advance()
            advance()
        default:
            throw error(what.isEmpty ? "expected key = value" : "unexpected text after \(what)", at: line)
        }
    }

    // MARK: Characters

    var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }
    var peekAhead: Unicode.Scalar? { index + 1 < scalars.count ? scalars[index + 1] : nil }

    mutating func advance() {
        if peek == "\n" { line += 1 }
        index += 1
    }

    mutating func skipBlanks() {
        while peek == " " || peek == "\t" { advance() }
    }

    mutating func skipComment() {
        guard peek == "#" else { return }
        while let scalar = peek, scalar != "\n" { advance() }
    }

    mutating func skipWhitespaceAndComments() {
        while true {
            skipBlanks()
            skipComment()
            guard peek == "\n" || peek == "\r" else { return }
            advance()
        }
    }

    static func isKeyCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
    }

    func error(_ problem: String, at line: Int) -> ConfigurationError {
        ConfigurationError("\(path):\(line)", problem)
    }
}
