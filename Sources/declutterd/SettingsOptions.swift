import ArgumentParser
import DeclutterDaemon

/// The settings flags shared by `serve` and `check-config`.
struct SettingsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The configuration file (default: DECLUTTERD_CONFIG, else $CONFIGURATION_DIRECTORY/declutterd.toml if it exists).",
                               valueName: "path"))
    var config: String?
    @Option(name: .customLong("set"), help: ArgumentHelp("A setting, KEY=VALUE (repeatable), e.g. --set polling.max_in_flight=8.", valueName: "key=value"))
    var assignments: [String] = []
    @Option(help: "upstream.base_url") var upstreamBaseUrl: String?
    @Option(help: "upstream.user_id") var userId: String?
    @Option(help: "callbacks.listen (host:port)") var callbacksListen: String?
    @Option(help: "callbacks.public_base_url") var publicBaseUrl: String?
    @Option(help: "local.listen (host:port, or none)") var localListen: String?
    @Option(help: "local.socket (a path)") var localSocket: String?
    @Option(help: "database.path") var databasePath: String?
    @Option(help: "log.level (trace, debug, info, notice, warning, error, critical)") var logLevel: String?

    func flags() throws -> [String: String] {
        var flags: [String: String] = [:]
        for assignment in assignments {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--set takes KEY=VALUE, got \(assignment)") }
            flags[parts[0]] = parts[1]
        }
        let named: [(String, String?)] = [
            ("upstream.base_url", upstreamBaseUrl), ("upstream.user_id", userId), ("callbacks.listen", callbacksListen),
            ("callbacks.public_base_url", publicBaseUrl), ("local.listen", localListen), ("local.socket", localSocket),
            ("database.path", databasePath), ("log.level", logLevel),
        ]
        for case let (key, value?) in named { flags[key] = value }
        return flags
    }

    /// The configuration, or one line naming the key and exit code 78 (EX_CONFIG).
    func loadOrExit() throws -> DaemonConfiguration {
        try reportOrExit().configuration
    }

    /// The configuration with where each setting came from (for `check-config`), or the same one line and 78.
    func reportOrExit() throws -> ConfigurationReport {
        do {
            return try ConfigurationLoader.standard(configPath: config, flags: try flags()).report()
        } catch let error as ConfigurationError {
            Terminal.error(DaemonLogging.standardErrorPrefix(.error) + "declutterd: \(error)")
            throw ExitCode(78)
        }
    }
}
