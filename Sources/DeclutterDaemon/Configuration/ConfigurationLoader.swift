import DeclutterAPI
import DeclutterWire
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
/// `Setting.all`.
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
            let path = (directory.hasSuffix("/") ? String(directory.dropLast()) : String(directory)) + "/" + Setting.fileName
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
        if let name = Setting.named(key)?.environmentName, let value = environment[name], !value.isEmpty { return (value, "env \(name)") }
        if let file, let entry = file.entry(key) { return (entry.value, "file \(file.location(entry))") }
        return nil
    }

    /// Where the effective value of `key` comes from: `flag`, `env NAME`, `file PATH:LINE` or `default`.
    public func source(of key: String) -> String { raw(key)?.source ?? "default" }

    public func load() throws(ConfigurationError) -> DaemonConfiguration {
        try report().configuration
    }

    /// The configuration, with every key's effective value and source and the API key's origin (never its value).
    /// Without `needsUpstream`, for the commands that work on the store alone (`keys`), the upstream's required settings
    /// and the API key are not asked for (a command run outside systemd has no credential).
    public func report(needsUpstream: Bool = true) throws(ConfigurationError) -> ConfigurationReport {
        try checkKeys()
        try checkDatabaseURL()
        var configuration = DaemonConfiguration.defaults
        for setting in Setting.all {
            guard let (text, source) = raw(setting.key) else {
                if setting.required, needsUpstream {
                    let flag = setting.flag.map { ", --\($0)" } ?? ""
                    throw ConfigurationError(setting.key, "is required (\(setting.expecting)): set it in the configuration file, "
                        + "\(setting.environmentName)\(flag), or --set \(setting.key)=...")
                }
                continue
            }
            // A NUL would cut a path short where the system reads it (database.path = "a\u{0}b" opens "a"); no
            // setting has a use for any control character.
            if let control = text.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
                throw ConfigurationError(setting.key, "cannot use a value with the control character U+\(String(format: "%04X", control.value)) "
                    + "(from \(source)): expected \(setting.expecting)")
            }
            guard setting.apply(text, &configuration) else {
                throw ConfigurationError(setting.key, "cannot use \(Self.quoted(text)) (from \(source)): expected \(setting.expecting)")
            }
        }
        try checkCombinations(configuration)
        let (key, origin) = needsUpstream ? try apiKey() : ("", ConfigurationReport.SecretOrigin(source: "not read", length: 0))
        configuration.upstream.apiKey = key
        var passwordOrigin: ConfigurationReport.SecretOrigin?
        if configuration.database.location != nil, let (password, origin) = try databasePassword() {
            configuration.database.location?.password = password
            passwordOrigin = origin
        }
        return ConfigurationReport(configuration: configuration, file: file?.path, settings: settings(of: configuration),
                                   apiKey: origin, databasePassword: passwordOrigin, notes: notes(about: configuration))
    }

    /// Every key given must be one `Setting.all` knows.
    private func checkKeys() throws(ConfigurationError) {
        let known = "known keys: \(Setting.all.map(\.key).joined(separator: ", "))"
        for key in flags.keys.sorted() where Setting.named(key) == nil {
            throw ConfigurationError(key, "unknown key; \(known)")
        }
        guard let file else { return }
        for entry in file.entries where Setting.named(entry.key) == nil {
            let location = file.location(entry)
            if entry.key.hasSuffix("api_key") {
                throw ConfigurationError(entry.key, "unknown key (\(location)); the API key is never read from the configuration file: "
                    + "use upstream.api_key_file, a systemd credential api_key, or DECLUTTERD_API_KEY")
            }
            throw ConfigurationError(entry.key, "unknown key (\(location)); \(known)")
        }
    }

    /// Rules between settings.
    private func checkCombinations(_ configuration: DaemonConfiguration) throws(ConfigurationError) {
        if let local = configuration.localListen, !local.isLoopback, configuration.localAuth == .off {
            throw ConfigurationError("local.listen", "\(local) is not a loopback address and local.auth is off: anyone who reaches it could spend "
                + "every photo; set local.auth=required (docs/keys.md) to listen beyond loopback")
        }
        if let local = configuration.localListen, !local.isLoopback, !configuration.localAllowPublic {
            throw ConfigurationError("local.listen", "\(local) is not a loopback address; the local API is an admin surface (set local.allow_public=true to insist)")
        }
        if let local = configuration.localListen, local.overlaps(configuration.callbacksListen) {
            throw ConfigurationError("local.listen", "\(local) overlaps callbacks.listen (\(configuration.callbacksListen)): the local API and the public listener need an address each")
        }
        if configuration.maxWaiters + configuration.eventStreams.maxStreams >= configuration.connections.localConnections {
            throw ConfigurationError("local.max_waiters", "with local.max_event_streams (\(configuration.eventStreams.maxStreams)) must stay below local.max_connections (\(configuration.connections.localConnections)), so that waiting requests and event streams never fill the local API")
        }
        let longest = max(configuration.upstream.requestTimeout, configuration.delivery.timeout, configuration.archive.timeout)
        if configuration.database.location != nil, configuration.database.lease <= longest {
            throw ConfigurationError("database.lease", "must be longer than the longest claimed piece of work (\(DurationText.format(longest)): "
                + "a poll's request, notify.timeout, archive.timeout), or another instance could take over work still running")
        }
        let polling = configuration.polling
        guard polling.maxInterval >= polling.initialInterval else {
            throw ConfigurationError("polling.max_interval", "must be at least polling.initial_interval (\(DurationText.format(polling.initialInterval)))")
        }
    }

    /// The API key: `DECLUTTERD_API_KEY`, else `upstream.api_key_file`, else `$CREDENTIALS_DIRECTORY/api_key`.
    /// The origin says where it came from and how long it is, never what it is.
    private func apiKey() throws(ConfigurationError) -> (String, ConfigurationReport.SecretOrigin) {
        if let key = environment["DECLUTTERD_API_KEY"], !key.isEmpty {
            let trimmed = key.trimmingCharacters(in: .whitespacesAndNewlines)
            try Self.checkKeyCharacters(trimmed, origin: "DECLUTTERD_API_KEY", key: "DECLUTTERD_API_KEY")
            return (trimmed, .init(source: "DECLUTTERD_API_KEY", length: trimmed.count))
        }
        guard let (path, origin) = apiKeyFile() else {
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

    /// Where the API key file is: `upstream.api_key_file` as set, else `$CREDENTIALS_DIRECTORY/api_key`; with
    /// words saying so for messages.
    func apiKeyFile() -> (path: String, origin: String)? {
        if let (file, source) = raw("upstream.api_key_file") {
            return (file, "upstream.api_key_file \(file) (from \(source))")
        }
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let path = directory + "/api_key"
            return (path, "$CREDENTIALS_DIRECTORY/api_key (\(path))")
        }
        return nil
    }

    /// A key that would not survive as an HTTP header value; the message never quotes it.
    private static func checkKeyCharacters(_ apiKey: String, origin: String, key: String) throws(ConfigurationError) {
        guard apiKey.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw ConfigurationError(key, "the API key from \(origin) contains spaces, control or non-ASCII characters")
        }
    }

    static func quoted(_ value: String) -> String { "\"\(value)\"" }
}
