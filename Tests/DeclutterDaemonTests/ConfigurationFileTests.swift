import DeclutterDaemon
import Foundation
import TestSupport
import Testing

/// The `declutterd.toml` subset: what it accepts, and errors that name the file and the line.
@Suite("Configuration file parser")
struct ConfigurationFileTests {
    private func parse(_ text: String) throws -> [String: String] {
        let file = try ConfigurationFile(parsing: text, path: "test.toml")
        return Dictionary(uniqueKeysWithValues: file.entries.map { ($0.key, $0.value) })
    }

    @Test("sections, dotted keys, comments and blank lines")
    func sections() throws {
        let file = try ConfigurationFile(parsing: """
            # a comment
            log.level = "debug"   # a top-level dotted key

            [upstream]
              base_url = "https://api.example"
            user_id="0b5a1a4e-1f6b-4a53-9a49-4b7e0f0d2f10"
            [ polling ]
            max_in_flight = 8
            callback_grace = 10m
            max_per_second = 2.5
            [callbacks]
            verify = true
            """, path: "test.toml")
        #expect(file.entries.map(\.key) == [
            "log.level", "upstream.base_url", "upstream.user_id", "polling.max_in_flight", "polling.callback_grace",
            "polling.max_per_second", "callbacks.verify",
        ])
        #expect(file.entry("upstream.base_url") == ConfigurationFile.Entry(key: "upstream.base_url", value: "https://api.example", line: 5))
        #expect(file.entry("polling.callback_grace")?.value == "10m")
        #expect(file.entry("polling.max_per_second")?.value == "2.5")
        #expect(file.entry("callbacks.verify")?.value == "true")
        #expect(file.entry("log.level")?.line == 2)
    }

    @Test("strings: escapes, a # inside quotes, literal strings, \\u escapes, CRLF line ends")
    func strings() throws {
        let values = try parse(
            #"a = "say \"hi\" \\ bye""# + "\r\n"
                + #"b = "not # a comment" # but this is"# + "\n"
                + #"c = 'C:\path\no escapes'"# + "\n"
                + #"d = "caf\u00E9 \t tab""# + "\n"
                + #"e = """# + "\n")
        #expect(values["a"] == #"say "hi" \ bye"#)
        #expect(values["b"] == "not # a comment")
        #expect(values["c"] == #"C:\path\no escapes"#)
        #expect(values["d"] == "café \t tab")
        #expect(values["e"] == "")
    }

    @Test("arrays of strings are joined with commas, on one line or several")
    func arrays() throws {
        let values = try parse("""
            one = ["10.0.0.0/8", "::1"]
            several = [
              "192.168.0.0/16",  # the office
              # nothing here
              "fd00::/8",
            ]
            empty = []
            after = 1
            """)
        #expect(values["one"] == "10.0.0.0/8,::1")
        #expect(values["several"] == "192.168.0.0/16,fd00::/8")
        #expect(values["empty"] == "")
        #expect(values["after"] == "1")
    }

    @Test("bare values: numbers, booleans, durations; TOML's 1_000")
    func bareValues() throws {
        let values = try parse("a = 8\nb = false\nc = 500ms\nd = 1_000\ne = -1\n")
        #expect(values == ["a": "8", "b": "false", "c": "500ms", "d": "1000", "e": "-1"])
    }

    struct BadFile: Sendable, CustomTestStringConvertible {
        let text: String
        let line: Int
        let problem: String
        var testDescription: String { problem }
    }

    @Test("errors name the file and the line", arguments: [
        BadFile(text: "[upstream]\nbase_url\n", line: 2, problem: "expected key = value"),
        BadFile(text: "\n\nthis is not toml\n", line: 3, problem: "expected key = value"),
        BadFile(text: "= 3\n", line: 1, problem: "expected key = value"),
        BadFile(text: "a = \"unterminated\nb = 1\n", line: 1, problem: "unterminated string"),
        BadFile(text: "# ok\nurl = https://example.com\n", line: 2, problem: "text values must be double-quoted: \"https://example.com\""),
        BadFile(text: "level = info\n", line: 1, problem: "text values must be double-quoted"),
        BadFile(text: "a = [\"x\" \"y\"]\n", line: 1, problem: "expected , or ] in the array"),
        BadFile(text: "a = [\"x\",\n\"y\"\n", line: 1, problem: "unterminated array"),
        BadFile(text: "a = [1, 2]\n", line: 1, problem: "arrays hold double-quoted strings"),
        BadFile(text: "[upstream\nx = 1\n", line: 1, problem: "expected ] to close the section header"),
        BadFile(text: "[upstream] x\n", line: 1, problem: "unexpected text after the section header"),
        BadFile(text: "[[upstream]]\n", line: 1, problem: "arrays of tables"),
        BadFile(text: "a = 1\n[x]\nb = 2\n[]\n", line: 4, problem: "expected a section name"),
        BadFile(text: "a = 1\n\na = 2\n", line: 3, problem: "a is set twice (first at line 1)"),
        BadFile(text: "[s]\na = 1\n[s]\na = 2\n", line: 4, problem: "s.a is set twice"),
        BadFile(text: "a = \"\\q\"\n", line: 1, problem: "unsupported escape \\q"),
        BadFile(text: "a = 1 2\n", line: 1, problem: "unexpected text after the value"),
        BadFile(text: "a = \"x\" y\n", line: 1, problem: "unexpected text after the value"),
        BadFile(text: "a =\n", line: 1, problem: "expected a value after ="),
        BadFile(text: "a = \"\"\"x\"\"\"\n", line: 1, problem: "multi-line strings"),
    ])
    func errors(_ bad: BadFile) {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationFile(parsing: bad.text, path: "/etc/declutterd/declutterd.toml")
        }
        #expect(error?.key == "/etc/declutterd/declutterd.toml:\(bad.line)", "\(String(describing: error))")
        #expect(error?.problem.contains(bad.problem) == true, "\(String(describing: error))")
    }

    @Test("the printed error reads declutterd.toml:LINE: problem")
    func errorLine() {
        #expect(throws: ConfigurationError("declutterd.toml:2", "expected key = value")) {
            try ConfigurationFile(parsing: "[log]\nlevel\n", path: "declutterd.toml")
        }
        let error = ConfigurationError("declutterd.toml:2", "expected key = value")
        #expect("declutterd: \(error)" == "declutterd: configuration declutterd.toml:2: expected key = value")
    }

    @Test("a file that cannot be read is an error of whoever named it")
    func unreadable() throws {
        let scratch = try ConfigurationScratch()
        #expect(throws: ConfigurationError("--config", "cannot read \(scratch.path("nope.toml")): No such file or directory")) {
            try ConfigurationFile.read(path: scratch.path("nope.toml"), origin: "--config")
        }
        #expect(throws: ConfigurationError("DECLUTTERD_CONFIG", "cannot read \(scratch.directory): Is a directory")) {
            try ConfigurationFile.read(path: scratch.directory, origin: "DECLUTTERD_CONFIG")
        }
    }
}

/// `config/declutterd.toml`, the example shipped with the daemon.
@Suite("Configuration example file")
struct ConfigurationExampleTests {
    static let exampleURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/declutterd.toml")

    /// The example with every `# key = value` line uncommented.
    static func uncommented(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard line.hasPrefix("# "), let equals = line.firstIndex(of: "=") else { return String(line) }
            let key = line.dropFirst(2)[..<equals].trimmingCharacters(in: .whitespaces)
            let isKey = !key.isEmpty && key.allSatisfy { $0.isLowercase || $0 == "_" }
            return isKey ? String(line.dropFirst(2)) : String(line)
        }.joined(separator: "\n")
    }

    @Test("parses as shipped (every key commented out) and documents every key with its env name")
    func shipped() throws {
        let text = try String(contentsOf: Self.exampleURL, encoding: .utf8)
        #expect(try ConfigurationFile(parsing: text, path: "declutterd.toml").entries.isEmpty)
        for key in Setting.all.map(\.key) {
            #expect(text.contains(try #require(Setting.named(key)?.environmentName)), "\(key)'s environment name is not in the example")
        }
        #expect(text.contains("DECLUTTERD_API_KEY"))
        #expect(text.contains("$CREDENTIALS_DIRECTORY/api_key"))
    }

    @Test("uncommented, it sets every key and loads")
    func uncommentedLoads() throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-example")
        defer { directory.remove() }
        let passwordFile = directory.file("database_password")
        try "example-password\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let text = Self.uncommented(try String(contentsOf: Self.exampleURL, encoding: .utf8))
            .replacingOccurrences(of: "/etc/declutterd/database_password", with: passwordFile)
        let file = try ConfigurationFile(parsing: text, path: "declutterd.toml")
        #expect(Set(file.entries.map(\.key)) == Set(Setting.all.map(\.key)))
        let loader = ConfigurationLoader(environment: ["DECLUTTERD_API_KEY": "sk-example"], flags: [:], file: file)
        let report = try loader.report()
        #expect(report.settings.allSatisfy { $0.source.hasPrefix("file declutterd.toml:") })
        #expect(report.configuration.allowFrom.count == 2)
        #expect(report.configuration.polling.giveUpAfter == .seconds(86_400))
        #expect(report.configuration.database.location?.password == "example-password")
        #expect(report.databasePassword == .init(source: "database.password_file \(passwordFile) (from file declutterd.toml:153)", length: 16))
    }
}
