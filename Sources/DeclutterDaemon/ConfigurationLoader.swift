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

/// Builds a `DaemonConfiguration` from layered settings: flags over `DECLUTTERD_*` environment
/// variables over defaults. Every setting has one file-style key (`upstream.base_url`) and one
/// environment name (`DECLUTTERD_UPSTREAM_BASE_URL`); see `ConfigurationKeys`.
public struct ConfigurationLoader {
    public var environment: [String: String]
    /// Settings given on the command line, by file-style key.
    public var flags: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, flags: [String: String] = [:]) {
        self.environment = environment
        self.flags = flags
    }

    /// The effective raw value of `key`, and where it came from.
    public func raw(_ key: String) -> (value: String, source: String)? {
        if let value = flags[key] { return (value, "flag") }
        if let name = ConfigurationKeys.environmentName(key), let value = environment[name], !value.isEmpty { return (value, "env \(name)") }
        return nil
    }

    public func load() throws(ConfigurationError) -> DaemonConfiguration {
        for key in flags.keys where !ConfigurationKeys.all.contains(key) {
            throw ConfigurationError(key, "unknown key; known keys: \(ConfigurationKeys.all.joined(separator: ", "))")
        }
        let userID = try required("upstream.user_id") { UUID(uuidString: $0) }
        let baseURL = try value("upstream.base_url", default: "https://iacrea.com") { RetrievalPayloadValidator.isAbsoluteHTTPURL($0) ? $0 : nil }
        var configuration = DaemonConfiguration(upstream: DeclutterClientConfiguration(baseURL: baseURL, userID: userID, apiKey: try apiKey()))
        configuration.callbacksListen = try value("callbacks.listen", default: configuration.callbacksListen) { ListenAddress(parsing: $0) }
        configuration.publicBaseURL = try optional("callbacks.public_base_url") { RetrievalPayloadValidator.isAbsoluteHTTPURL($0) ? $0 : nil }
        configuration.verifyCallbacks = try value("callbacks.verify", default: false, parse: Self.bool)
        configuration.allowFrom = try value("callbacks.allow_from", default: []) { text in
            let ranges = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let parsed = ranges.compactMap(CIDR.init)
            return parsed.count == ranges.count ? parsed : nil
        }
        configuration.localListen = try value("local.listen", default: configuration.localListen) { text in
            text == "none" ? .some(nil) : ListenAddress(parsing: text).map { .some($0) }
        }
        if let local = configuration.localListen, !local.isLoopback, raw("local.allow_public")?.value != "true" {
            throw ConfigurationError("local.listen", "\(local) is not a loopback address; the local API is an admin surface (set local.allow_public=true to insist)")
        }
        configuration.localSocket = try optional("local.socket") { $0.hasPrefix("/") ? $0 : nil }
        configuration.databasePath = try value("database.path", default: configuration.databasePath) { $0.isEmpty ? nil : $0 }
        configuration.polling = try polling()
        configuration.logLevel = try value("log.level", default: .info) { Logger.Level(rawValue: $0.lowercased()) }
        return configuration
    }

    private func polling() throws(ConfigurationError) -> PollingConfiguration {
        var polling = PollingConfiguration()
        polling.callbackGrace = try value("polling.callback_grace", default: polling.callbackGrace, parse: Self.duration)
        polling.initialInterval = try value("polling.initial_interval", default: polling.initialInterval, parse: Self.duration)
        polling.maxInterval = try value("polling.max_interval", default: polling.maxInterval, parse: Self.duration)
        polling.giveUpAfter = try value("polling.give_up_after", default: polling.giveUpAfter, parse: Self.duration)
        polling.maxInFlight = try value("polling.max_in_flight", default: polling.maxInFlight) { Int($0).flatMap { $0 >= 1 ? $0 : nil } }
        polling.maxPerSecond = try value("polling.max_per_second", default: polling.maxPerSecond) { Double($0).flatMap { $0 > 0 ? $0 : nil } }
        guard polling.maxInterval >= polling.initialInterval else {
            throw ConfigurationError("polling.max_interval", "must be at least polling.initial_interval")
        }
        return polling
    }

    /// The API key: `DECLUTTERD_API_KEY`, else `upstream.api_key_file`, else `$CREDENTIALS_DIRECTORY/api_key`.
    private func apiKey() throws(ConfigurationError) -> String {
        if let key = environment["DECLUTTERD_API_KEY"], !key.isEmpty { return key }
        let path: String
        if let file = raw("upstream.api_key_file")?.value {
            path = file
        } else if let directory = environment["CREDENTIALS_DIRECTORY"] {
            path = directory + "/api_key"
        } else {
            throw ConfigurationError("upstream.api_key_file", "no API key: set DECLUTTERD_API_KEY, upstream.api_key_file, or a systemd credential api_key")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("upstream.api_key_file", "cannot read \(path)")
        }
        let key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else { throw ConfigurationError("upstream.api_key_file", "\(path) is empty") }
        return key
    }

    // MARK: - Parsing

    private func value<T>(_ key: String, default fallback: T, parse: (String) -> T?) throws(ConfigurationError) -> T {
        guard let (text, source) = raw(key) else { return fallback }
        guard let parsed = parse(text) else { throw ConfigurationError(key, "cannot use \(Self.quoted(text)) (from \(source))") }
        return parsed
    }

    private func optional<T>(_ key: String, parse: (String) -> T?) throws(ConfigurationError) -> T? {
        try value(key, default: nil) { parse($0).map { .some($0) } }
    }

    private func required<T>(_ key: String, parse: (String) -> T?) throws(ConfigurationError) -> T {
        guard let parsed = try optional(key, parse: parse) else { throw ConfigurationError(key, "is required") }
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

    /// `500ms`, `30s`, `10m`, `24h`, or a plain number of seconds.
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
}

/// Every configuration key, with its environment variable (SPEC §9).
public enum ConfigurationKeys {
    public static let all = [
        "upstream.base_url", "upstream.user_id", "upstream.api_key_file",
        "callbacks.listen", "callbacks.public_base_url", "callbacks.verify", "callbacks.allow_from",
        "local.listen", "local.socket", "local.allow_public", "database.path",
        "polling.callback_grace", "polling.initial_interval", "polling.max_interval", "polling.give_up_after",
        "polling.max_in_flight", "polling.max_per_second", "log.level",
    ]

    /// `upstream.base_url` → `DECLUTTERD_UPSTREAM_BASE_URL`.
    public static func environmentName(_ key: String) -> String? {
        guard all.contains(key) else { return nil }
        return "DECLUTTERD_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }
}
