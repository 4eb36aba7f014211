import DeclutterDaemon
import DeclutterWire
import Foundation
import TestSupport
import Testing

/// A temporary directory for configuration files, credentials and databases, removed on deinit.
final class ConfigurationScratch {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("declutterd-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { directory + "/" + name }

    /// Writes `text` to `name` (directories created) and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = path(name)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Layering (flags > environment > file > defaults), sources, and every kind of bad configuration.
@Suite("Configuration loader")
struct ConfigurationLoaderTests {
    static let userID = "0b5a1a4e-1f6b-4a53-9a49-4b7e0f0d2f10"
    static let apiKey = "sk-test-Qz7vK2mWp9xR4tLb"

    private func loader(_ fileText: String?, environment: [String: String] = ["DECLUTTERD_API_KEY": apiKey],
                        flags: [String: String] = [:], path: String = "/etc/declutterd/declutterd.toml") throws -> ConfigurationLoader {
        ConfigurationLoader(environment: environment, flags: flags, file: try fileText.map { try ConfigurationFile(parsing: $0, path: path) })
    }

    @Test("a flag beats the environment, which beats the file, which beats the default; each says where it came from")
    func layering() throws {
        let file = """
            [upstream]
            user_id = "\(Self.userID)"
            [log]
            level = "debug"
            """
        let all = try loader(file, environment: ["DECLUTTERD_API_KEY": Self.apiKey, "DECLUTTERD_LOG_LEVEL": "warning"], flags: ["log.level": "error"])
        #expect(try all.load().logLevel == .error)
        #expect(all.source(of: "log.level") == "flag")

        let environment = try loader(file, environment: ["DECLUTTERD_API_KEY": Self.apiKey, "DECLUTTERD_LOG_LEVEL": "warning"])
        #expect(try environment.load().logLevel == .warning)
        #expect(environment.raw("log.level")! == ("warning", "env DECLUTTERD_LOG_LEVEL"))

        let fromFile = try loader(file)
        #expect(try fromFile.load().logLevel == .debug)
        #expect(fromFile.raw("log.level")! == ("debug", "file /etc/declutterd/declutterd.toml:4"))

        let byDefault = try loader("[upstream]\nuser_id = \"\(Self.userID)\"\n")
        #expect(try byDefault.load().logLevel == .info)
        #expect(byDefault.raw("log.level") == nil)
        #expect(byDefault.source(of: "log.level") == "default")
    }

    @Test("the report: every key once, normalised values, sources, and the API key only as origin and length")
    func report() throws {
        let report = try loader("""
            [upstream]
            user_id = "\(Self.userID.uppercased())"
            [callbacks]
            allow_from = ["10.0.0.0/8", "::1"]
            [polling]
            callback_grace = 600s
            """, flags: ["database.path": "/tmp/x.sqlite"]).report()
        #expect(report.settings.map(\.key) == Setting.all.map(\.key))
        #expect(report.setting("upstream.user_id") == .init(key: "upstream.user_id", value: Self.userID, source: "file /etc/declutterd/declutterd.toml:2"))
        #expect(report.setting("callbacks.allow_from")?.value == "10.0.0.0/8,::1/128")
        #expect(report.setting("polling.callback_grace")?.value == "10m")
        #expect(report.setting("polling.give_up_after") == .init(key: "polling.give_up_after", value: "1d", source: "default"))
        #expect(report.setting("database.path")?.source == "flag")
        #expect(report.setting("callbacks.public_base_url")?.value == nil)
        #expect(report.apiKey == .init(source: "DECLUTTERD_API_KEY", length: Self.apiKey.count))
        #expect(report.file == "/etc/declutterd/declutterd.toml")
        #expect(report.notes.contains { $0.hasPrefix("callbacks.public_base_url is not set") })
        #expect(!"\(report.settings) \(report.apiKey) \(report.notes)".contains(Self.apiKey))
    }

    @Test("the API key: environment, then upstream.api_key_file, then $CREDENTIALS_DIRECTORY/api_key")
    func apiKeySources() throws {
        let scratch = try ConfigurationScratch()
        try scratch.write("credentials/api_key", "sk-from-credential\n")
        try scratch.write("key-file", "  sk-from-file  \n")
        let file = "[upstream]\nuser_id = \"\(Self.userID)\"\n"

        let credential = try loader(file, environment: ["CREDENTIALS_DIRECTORY": scratch.path("credentials")])
        #expect(try credential.load().upstream.apiKey == "sk-from-credential")
        #expect(try credential.report().apiKey == .init(source: "$CREDENTIALS_DIRECTORY/api_key (\(scratch.path("credentials/api_key")))", length: 18))

        let keyFile = try loader(file + "api_key_file = \"\(scratch.path("key-file"))\"\n",
                                 environment: ["CREDENTIALS_DIRECTORY": scratch.path("credentials")])
        #expect(try keyFile.load().upstream.apiKey == "sk-from-file")
        #expect(try keyFile.report().apiKey.source == "upstream.api_key_file \(scratch.path("key-file")) (from file /etc/declutterd/declutterd.toml:3)")

        let environment = try loader(file + "api_key_file = \"\(scratch.path("key-file"))\"\n",
                                     environment: ["DECLUTTERD_API_KEY": "sk-from-env", "CREDENTIALS_DIRECTORY": scratch.path("credentials")])
        #expect(try environment.load().upstream.apiKey == "sk-from-env")
        #expect(try environment.report().notes.contains { $0.contains("DECLUTTERD_API_KEY takes precedence") })
    }

    /// One bad configuration: the file, the environment (`$DIR` is the scratch directory), and the key and
    /// words the error must carry.
    struct BadConfiguration: Sendable, CustomTestStringConvertible {
        let name: String
        var file = "[upstream]\nuser_id = \"\(ConfigurationLoaderTests.userID)\"\n"
        var environment = ["DECLUTTERD_API_KEY": ConfigurationLoaderTests.apiKey]
        var flags: [String: String] = [:]
        let key: String
        let problem: String
        var testDescription: String { name }
    }

    static let badConfigurations: [BadConfiguration] = [
        BadConfiguration(name: "missing user_id", file: "[log]\nlevel = \"info\"\n", key: "upstream.user_id", problem: "is required"),
        BadConfiguration(name: "user_id not a UUID", file: "[upstream]\nuser_id = \"alice\"\n", key: "upstream.user_id",
                         problem: #"cannot use "alice" (from file /etc/declutterd/declutterd.toml:2): expected a UUID"#),
        BadConfiguration(name: "missing API key", environment: [:], key: "upstream.api_key_file", problem: "no API key"),
        BadConfiguration(name: "credential directory without api_key", environment: ["CREDENTIALS_DIRECTORY": "$DIR"],
                         key: "upstream.api_key_file", problem: "$CREDENTIALS_DIRECTORY/api_key ($DIR/api_key): No such file or directory"),
        BadConfiguration(name: "api_key_file is a directory",
                         file: "[upstream]\nuser_id = \"\(ConfigurationLoaderTests.userID)\"\napi_key_file = \"$DIR\"\n", environment: [:],
                         key: "upstream.api_key_file", problem: "Is a directory"),
        BadConfiguration(name: "empty api_key credential", environment: ["CREDENTIALS_DIRECTORY": "$DIR/empty"],
                         key: "upstream.api_key_file", problem: "is empty"),
        BadConfiguration(name: "bad port", file: "[upstream]\nuser_id = \"\(ConfigurationLoaderTests.userID)\"\n[callbacks]\nlisten = \"127.0.0.1:99999\"\n",
                         key: "callbacks.listen", problem: #"cannot use "127.0.0.1:99999" (from file /etc/declutterd/declutterd.toml:4): expected host:port"#),
        BadConfiguration(name: "bad URL", file: "[upstream]\nuser_id = \"\(ConfigurationLoaderTests.userID)\"\nbase_url = \"ftp://x\"\n",
                         key: "upstream.base_url", problem: #"cannot use "ftp://x" (from file /etc/declutterd/declutterd.toml:3): expected an absolute http"#),
        BadConfiguration(name: "unknown key in the file", file: "[upstream]\nuser_id = \"\(ConfigurationLoaderTests.userID)\"\n[callbacks]\nlisen = \"x\"\n",
                         key: "callbacks.lisen", problem: "unknown key (/etc/declutterd/declutterd.toml:4); known keys: upstream.base_url"),
        BadConfiguration(name: "the API key itself in the file", file: "[upstream]\napi_key = \"sk-oops\"\n",
                         key: "upstream.api_key", problem: "never read from the configuration file"),
        BadConfiguration(name: "unknown key as a flag", flags: ["log.levle": "debug"], key: "log.levle", problem: "unknown key"),
        BadConfiguration(name: "non-loopback local.listen", flags: ["local.listen": "0.0.0.0:8788"],
                         key: "local.listen", problem: "0.0.0.0:8788 is not a loopback address"),
        BadConfiguration(name: "bad local.allow_public", flags: ["local.allow_public": "maybe"], key: "local.allow_public", problem: "expected true or false"),
        BadConfiguration(name: "bad duration in the environment", environment: ["DECLUTTERD_API_KEY": "k", "DECLUTTERD_POLLING_CALLBACK_GRACE": "soon"],
                         key: "polling.callback_grace", problem: #"cannot use "soon" (from env DECLUTTERD_POLLING_CALLBACK_GRACE): expected a duration"#),
        BadConfiguration(name: "max_interval below initial_interval", flags: ["polling.max_interval": "10s", "polling.initial_interval": "1m"],
                         key: "polling.max_interval", problem: "must be at least polling.initial_interval"),
        BadConfiguration(name: "bad log level", flags: ["log.level": "loud"], key: "log.level", problem: "expected one of trace, debug, info"),
        BadConfiguration(name: "a NUL in database.path", file: "[upstream]\nuser_id = \"\(ConfigurationLoaderTests.userID)\"\n[database]\npath = \"/var/lib/a\\u0000b.sqlite\"\n",
                         key: "database.path", problem: "control character U+0000"),
        BadConfiguration(name: "a control character in archive.dir", flags: ["archive.dir": "/srv/images\u{1B}[2J"],
                         key: "archive.dir", problem: "control character U+001B"),
        BadConfiguration(name: "notify.max_per_endpoint past its ceiling", flags: ["notify.max_per_endpoint": "99999999999"],
                         key: "notify.max_per_endpoint", problem: "expected a whole number from 1 to 1000"),
        BadConfiguration(name: "polling.max_per_second below its floor", flags: ["polling.max_per_second": "1e-07"],
                         key: "polling.max_per_second", problem: "expected a number from 0.01 to 1000"),
        BadConfiguration(name: "-1 in archive.allow_hosts", flags: ["archive.allow_hosts": "cdn.example.com,-1"], key: "archive.allow_hosts",
                         problem: "expected comma-separated host names"),
        BadConfiguration(name: "a full-width digit in local.allowed_hosts", flags: ["local.allowed_hosts": "host\u{FF11}.internal"],
                         key: "local.allowed_hosts", problem: "expected comma-separated host names"),
        BadConfiguration(name: "http.max_pipelined of 0", flags: ["http.max_pipelined": "0"], key: "http.max_pipelined",
                         problem: "expected a whole number from 1 to 1024"),
    ]

    @Test("a bad configuration fails with one error naming its key", arguments: badConfigurations)
    func badConfiguration(_ bad: BadConfiguration) throws {
        let scratch = try ConfigurationScratch()
        try scratch.write("empty/api_key", "\n")
        let expand = { (text: String) in text.replacingOccurrences(of: "$DIR", with: scratch.directory) }
        let loader = ConfigurationLoader(environment: bad.environment.mapValues(expand), flags: bad.flags,
                                         file: try ConfigurationFile(parsing: expand(bad.file), path: "/etc/declutterd/declutterd.toml"))
        let error = #expect(throws: ConfigurationError.self) { try loader.load() }
        #expect(error?.key == bad.key, "\(String(describing: error))")
        #expect(error?.problem.contains(expand(bad.problem)) == true, "\(String(describing: error))")
        #expect(error.map { !"\($0)".contains(ConfigurationLoaderTests.apiKey) } ?? true)
    }

    @Test("the file: --config, else DECLUTTERD_CONFIG, else $CONFIGURATION_DIRECTORY/declutterd.toml if it is there")
    func fileLocation() throws {
        let scratch = try ConfigurationScratch()
        let flagged = try scratch.write("flag.toml", "[log]\nlevel = \"error\"\n")
        let environment = try scratch.write("env.toml", "[log]\nlevel = \"warning\"\n")
        try scratch.write("etc/declutterd.toml", "[log]\nlevel = \"debug\"\n")

        #expect(try ConfigurationLoader.locateFile(explicit: flagged, environment: ["DECLUTTERD_CONFIG": environment])?.path == flagged)
        #expect(try ConfigurationLoader.locateFile(explicit: nil, environment: ["DECLUTTERD_CONFIG": environment,
                                                                             "CONFIGURATION_DIRECTORY": scratch.path("etc")])?.path == environment)
        #expect(try ConfigurationLoader.locateFile(explicit: nil, environment: ["CONFIGURATION_DIRECTORY": scratch.path("nothing") + ":" + scratch.path("etc")])?.path
            == scratch.path("etc/declutterd.toml"))
        #expect(try ConfigurationLoader.locateFile(explicit: nil, environment: ["CONFIGURATION_DIRECTORY": scratch.path("nothing")]) == nil)
        #expect(try ConfigurationLoader.locateFile(explicit: nil, environment: [:]) == nil)

        let standard = try ConfigurationLoader.standard(configPath: nil, flags: ["upstream.user_id": Self.userID],
                                                        environment: ["CONFIGURATION_DIRECTORY": scratch.path("etc"), "DECLUTTERD_API_KEY": "k"])
        #expect(try standard.load().logLevel == .debug)
        #expect(standard.source(of: "log.level") == "file \(scratch.path("etc/declutterd.toml")):2")
    }

    @Test("an explicit file that cannot be read is a configuration error")
    func explicitFileMissing() throws {
        let scratch = try ConfigurationScratch()
        #expect(throws: ConfigurationError("--config", "cannot read \(scratch.path("missing.toml")): No such file or directory")) {
            try ConfigurationLoader.standard(configPath: scratch.path("missing.toml"), flags: [:], environment: [:])
        }
        #expect(throws: ConfigurationError("DECLUTTERD_CONFIG", "cannot read \(scratch.path("missing.toml")): No such file or directory")) {
            try ConfigurationLoader.standard(configPath: nil, flags: [:], environment: ["DECLUTTERD_CONFIG": scratch.path("missing.toml")])
        }
    }

    @Test("both listeners on one address are refused; a file's error is the system's own words")
    func listenersAndFileErrors() throws {
        for (callbacks, local) in [("127.0.0.1:9000", "127.0.0.1:9000"), ("0.0.0.0:9000", "127.0.0.1:9000"), ("localhost:9000", "127.0.0.1:9000")] {
            let error = #expect(throws: ConfigurationError.self) {
                try loader(nil, environment: ["DECLUTTERD_API_KEY": Self.apiKey, "DECLUTTERD_UPSTREAM_USER_ID": Self.userID,
                                              "DECLUTTERD_CALLBACKS_LISTEN": callbacks, "DECLUTTERD_LOCAL_LISTEN": local]).load()
            }
            #expect(error?.key == "local.listen", "\(callbacks) and \(local)")
        }
        let waiters = #expect(throws: ConfigurationError.self) {
            try loader(nil, environment: ["DECLUTTERD_API_KEY": Self.apiKey, "DECLUTTERD_UPSTREAM_USER_ID": Self.userID,
                                          "DECLUTTERD_LOCAL_MAX_WAITERS": "128", "DECLUTTERD_LOCAL_MAX_CONNECTIONS": "128"]).load()
        }
        #expect(waiters?.key == "local.max_waiters")
        let scratch = try ConfigurationScratch()
        let file = try scratch.write("locked/api_key", "sk-test")
        let locked = scratch.path("locked")
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: locked)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked) }
        // root may enter any directory (CI runs as root); everyone else is told the truth, not "no such file"
        guard getuid() != 0 else { return }
        let unreadable = #expect(throws: ConfigurationError.self) {
            try loader(nil, environment: ["DECLUTTERD_UPSTREAM_USER_ID": Self.userID, "DECLUTTERD_UPSTREAM_API_KEY_FILE": file]).load()
        }
        #expect(unreadable?.problem.contains("Permission denied") == true, "\(String(describing: unreadable))")
    }

    @Test("durations print in whole units, largest first, and read back")
    func durations() throws {
        for (text, printed) in [("600s", "10m"), ("90s", "1m30s"), ("1500ms", "1s500ms"), ("24h", "1d"), ("0s", "0s"), ("1.5h", "1h30m"),
                                ("1h30m", "1h30m"), ("36500d", "36500d")] {
            let duration = try #require(DurationText.parse(text), "\(text)")
            #expect(DurationText.format(duration) == printed)
            #expect(DurationText.parse(printed) == duration)
        }
        for shown in [DurationText.approximate(seconds: 12.34), DurationText.approximate(seconds: 245), DurationText.approximate(seconds: 7380),
                      DurationText.approximate(seconds: 100_800)] {
            #expect(DurationText.parse(shown) != nil, "the CLI shows \(shown), which the parser must read")
        }
        for bad in ["1e16s", "36501d", "99999999999999999999s", "-5s", "10 parsecs", "", "1.2.3s", "ms", "5x", "30s1h", "1h1h", "10", "0"] {
            #expect(DurationText.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("a duration too large to hold is refused with the key's name, from the environment or a file, not a crash")
    func durationOverflow() throws {
        for value in ["1e16s", "9999999999999999999d", "36501d"] {
            let error = #expect(throws: ConfigurationError.self) {
                try loader(nil, environment: ["DECLUTTERD_API_KEY": Self.apiKey, "DECLUTTERD_UPSTREAM_USER_ID": Self.userID,
                                              "DECLUTTERD_POLLING_CALLBACK_GRACE": value]).load()
            }
            #expect(error?.key == "polling.callback_grace")
            #expect(error?.description.contains("env DECLUTTERD_POLLING_CALLBACK_GRACE") == true)
        }
    }

    @Test("notify.retry_schedule reads a list of durations starting with 0s; anything else is refused with its rule")
    func retrySchedule() throws {
        let environment = ["DECLUTTERD_API_KEY": Self.apiKey, "DECLUTTERD_UPSTREAM_USER_ID": Self.userID]
        let loaded = try loader(nil, environment: environment.merging(["DECLUTTERD_NOTIFY_RETRY_SCHEDULE": "0s, 100ms,1m30s"]) { $1 }).load()
        #expect(loaded.delivery.retrySchedule == [.zero, .milliseconds(100), .seconds(90)])
        for bad in ["5s, 1m", "0s, soon", ",", Array(repeating: "0s", count: 21).joined(separator: ",")] {
            let error = #expect(throws: ConfigurationError.self) {
                try loader(nil, environment: environment.merging(["DECLUTTERD_NOTIFY_RETRY_SCHEDULE": bad]) { $1 }).load()
            }
            #expect(error?.key == "notify.retry_schedule", "\(bad)")
            #expect(error?.description.contains("the first 0s") == true, "\(String(describing: error))")
        }
    }

    @Test("the store's place: writable, creatable, or why not, without creating anything")
    func databaseLocation() throws {
        let scratch = try ConfigurationScratch()
        let here = DatabaseLocationCheck(path: "store.sqlite", currentDirectory: scratch.directory)
        #expect(here.usable && here.path == scratch.path("store.sqlite") && here.directory == scratch.directory, "\(here)")

        let nested = DatabaseLocationCheck(path: scratch.path("a/b/store.sqlite"))
        #expect(nested.usable && nested.detail.contains("will be created"), "\(nested)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("a")))

        try scratch.write("store.sqlite", "")
        #expect(DatabaseLocationCheck(path: scratch.path("store.sqlite")).detail.contains("exists and is writable"))

        let blocked = try scratch.write("plain-file", "")
        let underAFile = DatabaseLocationCheck(path: blocked + "/sub/store.sqlite")
        #expect(!underAFile.usable && underAFile.detail == "\(blocked) is not a directory", "\(underAFile)")

        let directory = DatabaseLocationCheck(path: scratch.directory)
        #expect(!directory.usable && directory.detail.contains("is a directory"), "\(directory)")
    }
}
