import DeclutterAPI
import Foundation
import Logging

/// A configuration problem, named by its key: start-up stops with this one line.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let key: String
    public let problem: String

    public init(_ key: String, _ problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "configuration \(key): \(problem)" }
}

/// Builds a `DaemonConfiguration` from layered settings: flags over `DECLUTTERD_*` environment variables over
/// the configuration file over defaults. Every setting has one file-style key (`upstream.base_url`, which is
/// `base_url` under `[upstream]` in the file) and one environment name (`DECLUTTERD_UPSTREAM_BASE_URL`); see
/// `ConfigurationKeys`.
public struct ConfigurationLoader {
    public var environment: [String: String]
    /// Settings given on the command line, by file-style key.
    public var flags: [String: String]
    /// `declutterd.toml`, when there is one.
    public var file: ConfigurationFile?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, flags: [String: String] = [:],
                file: ConfigurationFile? = nil) {
        self.environment = environment
        self.flags = flags
        self.file = file
    }

    /// As `serve` and `check-config` load it: the file comes from `configPath` (`--config`), else
    /// `DECLUTTERD_CONFIG`, else `$CONFIGURATION_DIRECTORY/declutterd.toml` when that exists, else there is none.
    public static func standard(configPath: String?, flags: [String: String],
                                environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> ConfigurationLoader {
        ConfigurationLoader(environment: environment, flags: flags, file: try locateFile(explicit: configPath, environment: environment))
    }

    /// The configuration file to read, if any. A path given explicitly (`--config`, `DECLUTTERD_CONFIG`) must be
    /// readable; `$CONFIGURATION_DIRECTORY` (systemd's `ConfigurationDirectory=`, colon-separated when there are
    /// several) is only looked in.
    public static func locateFile(explicit: String?, environment: [String: String]) throws(ConfigurationError) -> ConfigurationFile? {
        if let path = explicit {
            guard !path.isEmpty else { throw ConfigurationError("--config", "is empty") }
            return try ConfigurationFile.read(path: path, origin: "--config")
        }
        if let path = environment["DECLUTTERD_CONFIG"], !path.isEmpty {
            return try ConfigurationFile.read(path: path, origin: "DECLUTTERD_CONFIG")
        }
        for directory in (environment["CONFIGURATION_DIRECTORY"] ?? "").split(separator: ":") where !directory.isEmpty {
            let path = (directory.hasSuffix("/") ? String(directory.dropLast()) : String(directory)) + "/" + ConfigurationKeys.fileName
            if FileManager.default.fileExists(atPath: path) {
                return try ConfigurationFile.read(path: path, origin: "$CONFIGURATION_DIRECTORY")
            }
        }
        return nil
    }

    /// The effective raw value of `key`, and where it came from: `flag`, `env NAME`, `file PATH:LINE`;
    /// nil when the default applies.
    public func raw(_ key: String) -> (value: String, source: String)? {
        if let value = flags[key] { return (value, "flag") }
        if let name = ConfigurationKeys.environmentName(key), let value = environment[name], !value.isEmpty { return (value, "env \(name)") }
        if let file, let entry = file.entry(key) { return (entry.value, "file \(file.location(entry))") }
        return nil
    }

    /// Where the effective value of `key` comes from: `flag`, `env NAME`, `file PATH:LINE` or `default`.
    public func source(of key: String) -> String { raw(key)?.source ?? "default" }

    public func load() throws(ConfigurationError) -> DaemonConfiguration {
        try report().configuration
    }

    /// The configuration, with every key's effective value and source and the API key's origin (never its value).
    public func report() throws(ConfigurationError) -> ConfigurationReport {
        try checkKeys()
        let userID = try required("upstream.user_id", expecting: "a UUID") { UUID(uuidString: $0) }
        let baseURL = try value("upstream.base_url", default: "https://iacrea.com", expecting: Self.httpURL) {
            RetrievalPayloadValidator.isAbsoluteHTTPURL($0) ? $0 : nil
        }
        let (key, origin) = try apiKey()
        var configuration = DaemonConfiguration(upstream: DeclutterClientConfiguration(baseURL: baseURL, userID: userID, apiKey: key))
        configuration.callbacksListen = try value("callbacks.listen", default: configuration.callbacksListen, expecting: Self.hostPort) {
            ListenAddress(parsing: $0)
        }
        configuration.publicBaseURL = try optional("callbacks.public_base_url", expecting: Self.httpURL) {
            RetrievalPayloadValidator.isAbsoluteHTTPURL($0) ? $0 : nil
        }
        configuration.verifyCallbacks = try value("callbacks.verify", default: false, expecting: Self.boolean, parse: Self.bool)
        configuration.allowFrom = try value("callbacks.allow_from", default: [],
                                            expecting: "comma-separated addresses or CIDR ranges, e.g. 10.0.0.0/8,::1") { text in
            let ranges = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let parsed = ranges.compactMap(CIDR.init)
            return parsed.count == ranges.count ? parsed : nil
        }
        configuration.localListen = try value("local.listen", default: configuration.localListen, expecting: Self.hostPort + ", or none") { text in
            text == "none" ? .some(nil) : ListenAddress(parsing: text).map { .some($0) }
        }
        let allowPublic = try value("local.allow_public", default: false, expecting: Self.boolean, parse: Self.bool)
        if let local = configuration.localListen, !local.isLoopback, !allowPublic {
            throw ConfigurationError("local.listen", "\(local) is not a loopback address; the local API is an admin surface (set local.allow_public=true to insist)")
        }
        configuration.localSocket = try optional("local.socket", expecting: "an absolute path") { $0.hasPrefix("/") ? $0 : nil }
        configuration.databasePath = try value("database.path", default: configuration.databasePath, expecting: "a path") { $0.isEmpty ? nil : $0 }
        configuration.polling = try polling()
        configuration.logLevel = try value("log.level", default: .info,
                                           expecting: "one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))") {
            Logger.Level(rawValue: $0.lowercased())
        }
        return ConfigurationReport(configuration: configuration, file: file?.path,
                                   settings: settings(of: configuration, allowPublic: allowPublic),
                                   apiKey: origin, notes: notes(about: configuration))
    }

    /// Every key given must be one `ConfigurationKeys` knows.
    private func checkKeys() throws(ConfigurationError) {
        let known = "known keys: \(ConfigurationKeys.all.joined(separator: ", "))"
        for key in flags.keys.sorted() where !ConfigurationKeys.all.contains(key) {
            throw ConfigurationError(key, "unknown key; \(known)")
        }
        guard let file else { return }
        for entry in file.entries where !ConfigurationKeys.all.contains(entry.key) {
            let location = file.location(entry)
            if entry.key.hasSuffix("api_key") {
                throw ConfigurationError(entry.key, "unknown key (\(location)); the API key is never read from the configuration file: "
                    + "use upstream.api_key_file, a systemd credential api_key, or DECLUTTERD_API_KEY")
            }
            throw ConfigurationError(entry.key, "unknown key (\(location)); \(known)")
        }
    }

    private func polling() throws(ConfigurationError) -> PollingConfiguration {
        var polling = PollingConfiguration()
        polling.callbackGrace = try value("polling.callback_grace", default: polling.callbackGrace, expecting: Self.durationText, parse: Self.duration)
        polling.initialInterval = try value("polling.initial_interval", default: polling.initialInterval, expecting: Self.durationText, parse: Self.duration)
        polling.maxInterval = try value("polling.max_interval", default: polling.maxInterval, expecting: Self.durationText, parse: Self.duration)
        polling.giveUpAfter = try value("polling.give_up_after", default: polling.giveUpAfter, expecting: Self.durationText, parse: Self.duration)
        polling.maxInFlight = try value("polling.max_in_flight", default: polling.maxInFlight, expecting: "a whole number, at least 1") {
            Int($0).flatMap { $0 >= 1 ? $0 : nil }
        }
        polling.maxPerSecond = try value("polling.max_per_second", default: polling.maxPerSecond, expecting: "a number above 0") {
            Double($0).flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
        }
        guard polling.maxInterval >= polling.initialInterval else {
            throw ConfigurationError("polling.max_interval", "must be at least polling.initial_interval (\(Self.format(polling.initialInterval)))")
        }
        return polling
    }

    /// The API key: `DECLUTTERD_API_KEY`, else `upstream.api_key_file`, else `$CREDENTIALS_DIRECTORY/api_key`.
    /// The origin says where it came from and how long it is, never what it is.
    private func apiKey() throws(ConfigurationError) -> (String, ConfigurationReport.APIKeyOrigin) {
        if let key = environment["DECLUTTERD_API_KEY"], !key.isEmpty {
            let trimmed = key.trimmingCharacters(in: .whitespacesAndNewlines)
            try Self.checkKeyCharacters(trimmed, origin: "DECLUTTERD_API_KEY", key: "DECLUTTERD_API_KEY")
            return (trimmed, .init(source: "DECLUTTERD_API_KEY", length: trimmed.count))
        }
        let path: String
        let origin: String
        if let (file, source) = raw("upstream.api_key_file") {
            path = file
            origin = "upstream.api_key_file \(file) (from \(source))"
        } else if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            path = directory + "/api_key"
            origin = "$CREDENTIALS_DIRECTORY/api_key (\(path))"
        } else {
            throw ConfigurationError("upstream.api_key_file", "no API key: set DECLUTTERD_API_KEY, upstream.api_key_file, or a systemd credential api_key (LoadCredential=api_key:PATH)")
        }
        let data: Data
        switch ConfigurationFile.contents(of: path, limit: 64 * 1024) {
        case .success(let contents): data = contents
        case .failure(let problem): throw ConfigurationError("upstream.api_key_file", "cannot read the API key from \(origin): \(problem)")
        }
        let key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw ConfigurationError("upstream.api_key_file", "the API key file \(origin) is empty") }
        try Self.checkKeyCharacters(key, origin: origin, key: "upstream.api_key_file")
        return (key, .init(source: origin, length: key.count))
    }

    /// A key that would not survive as an HTTP header value; the message never quotes it.
    private static func checkKeyCharacters(_ apiKey: String, origin: String, key: String) throws(ConfigurationError) {
        guard apiKey.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw ConfigurationError(key, "the API key from \(origin) contains spaces, control or non-ASCII characters")
        }
    }

    // MARK: - Parsing

    static let httpURL = "an absolute http:// or https:// URL"
    static let hostPort = "host:port with a port from 0 to 65535 ([::1]:8788 for IPv6)"
    static let boolean = "true or false"
    static let durationText = "a duration such as 500ms, 30s, 10m, 24h or 7d"

    private func value<T>(_ key: String, default fallback: T, expecting: String, parse: (String) -> T?) throws(ConfigurationError) -> T {
        guard let (text, source) = raw(key) else { return fallback }
        guard let parsed = parse(text) else { throw ConfigurationError(key, "cannot use \(Self.quoted(text)) (from \(source)): expected \(expecting)") }
        return parsed
    }

    private func optional<T>(_ key: String, expecting: String, parse: (String) -> T?) throws(ConfigurationError) -> T? {
        try value(key, default: nil, expecting: expecting) { parse($0).map { .some($0) } }
    }

    private func required<T>(_ key: String, expecting: String, parse: (String) -> T?) throws(ConfigurationError) -> T {
        guard let parsed = try optional(key, expecting: expecting, parse: parse) else {
            let flag = key == "upstream.user_id" ? ", --user-id" : ""
            throw ConfigurationError(key, "is required (\(expecting)): set it in the configuration file, \(ConfigurationKeys.environmentName(key) ?? key)\(flag), or --set \(key)=...")
        }
        return parsed
    }

    static func quoted(_ value: String) -> String { "\"\(value)\"" }

    static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "1", "on": true
        case "false", "no", "0", "off": false
        default: nil
        }
    }

    /// `500ms`, `30s`, `10m`, `24h`, `7d`, or a plain number of seconds.
    public static func duration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let number = Double(trimmed.dropLast(suffix.count)), number >= 0, number.isFinite else { return nil }
            return .milliseconds(Int64(number * scale * 1000))
        }
        guard let seconds = Double(trimmed), seconds >= 0, seconds.isFinite else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// The largest whole unit `duration` reads back: `600s` → `10m`, `1500ms` → `1500ms`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        guard milliseconds != 0 else { return "0s" }
        for (suffix, scale) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] where milliseconds % scale == 0 {
            return "\(milliseconds / scale)\(suffix)"
        }
        return "\(milliseconds)ms"
    }

    static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}

/// A loaded configuration and how it came to be, for `check-config`. The API key appears only as its origin
/// and length.
public enum ConfigurationKeys {
    public static let all = [
        "upstream.base_url", "upstream.user_id", "upstream.api_key_file",
        "callbacks.listen", "callbacks.public_base_url", "callbacks.verify", "callbacks.allow_from",
        "local.listen", "local.socket", "local.allow_public", "database.path",
        "polling.callback_grace", "polling.initial_interval", "polling.max_interval", "polling.give_up_after",
        "polling.max_in_flight", "polling.max_per_second", "log.level",
    ]

    /// Environment variables that are not settings of their own but are read too.
    public static let otherEnvironmentNames = ["DECLUTTERD_API_KEY", "DECLUTTERD_CONFIG", "DECLUTTERD_URL"]

    /// The configuration file's name, under `$CONFIGURATION_DIRECTORY`.
    public static let fileName = "declutterd.toml"

    /// `upstream.base_url` → `DECLUTTERD_UPSTREAM_BASE_URL`.
    public static func environmentName(_ key: String) -> String? {
        guard all.contains(key) else { return nil }
        return "DECLUTTERD_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }
}
