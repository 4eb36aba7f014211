import ArgumentParser
import DeclutterDaemon

/// The settings flags shared by `serve` and `check-config`.
struct SettingsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The configuration file (default: DECLUTTERD_CONFIG, else $CONFIGURATION_DIRECTORY/declutterd.toml if it exists).",
                               valueName: "path"))
    var config: String?
    @Option(name: .customLong("set"), help: ArgumentHelp("A setting, KEY=VALUE (repeatable), e.g. --set polling.max_in_flight=8.", valueName: "key=value"))
    var assignments: [String] = []
    // The named flags: shorthands for `--set` of the settings whose table entry gives a flag (`Setting.flagged`).
    @Option(name: .customLong("upstream-base-url"), help: Self.help("upstream-base-url")) var upstreamBaseURL: String?
    @Option(name: .customLong("user-id"), help: Self.help("user-id")) var userID: String?
    @Option(name: .customLong("callbacks-listen"), help: Self.help("callbacks-listen")) var callbacksListen: String?
    @Option(name: .customLong("public-base-url"), help: Self.help("public-base-url")) var publicBaseURL: String?
    @Option(name: .customLong("local-listen"), help: Self.help("local-listen")) var localListen: String?
    @Option(name: .customLong("local-socket"), help: Self.help("local-socket")) var localSocket: String?
    @Option(name: .customLong("database-path"), help: Self.help("database-path")) var databasePath: String?
    @Option(name: .customLong("log-level"), help: Self.help("log-level")) var logLevel: String?

    /// The named flags given, by flag name.
    private var named: [(flag: String, value: String?)] {
        [("upstream-base-url", upstreamBaseURL), ("user-id", userID), ("callbacks-listen", callbacksListen), ("public-base-url", publicBaseURL),
         ("local-listen", localListen), ("local-socket", localSocket), ("database-path", databasePath), ("log-level", logLevel)]
    }

    /// The setting's key and doc, from the table.
    static func help(_ flag: String) -> ArgumentHelp {
        guard let setting = Setting.flagged(flag) else { return ArgumentHelp("(no such setting)") }
        return ArgumentHelp("\(setting.key): \(setting.doc)", valueName: "value")
    }

    func flags() throws -> [String: String] {
        var flags: [String: String] = [:]
        for assignment in assignments {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--set takes KEY=VALUE, got \(assignment)") }
            flags[parts[0]] = parts[1]
        }
        for case let (flag, value?) in named {
            guard let setting = Setting.flagged(flag) else { throw ValidationError("--\(flag) names no setting") }
            flags[setting.key] = value
        }
        return flags
    }

    /// The configuration, or one line naming the key and exit code 78 (EX_CONFIG).
    func loadOrExit() throws -> DaemonConfiguration {
        try reportOrExit().configuration
    }

    /// The store's settings alone (`keys`): the upstream's settings and the API key are not needed.
    func storeConfigurationOrExit() throws -> DaemonConfiguration {
        try reportOrExit(needsUpstream: false).configuration
    }

    /// The configuration with where each setting came from (for `check-config`), or the same one line and 78.
    func reportOrExit(needsUpstream: Bool = true) throws -> ConfigurationReport {
        do {
            return try ConfigurationLoader.standard(configPath: config, flags: try flags()).report(needsUpstream: needsUpstream)
        } catch let error as ConfigurationError {
            Terminal.error(DaemonLogging.standardErrorPrefix(.error) + "declutterd: \(error)")
            throw ExitCode(78)
        }
    }
}
