import ArgumentParser
import DeclutterDaemon
import Foundation
import Logging

/// `declutterd serve`: the daemon.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon: callback listener, local API, polling fallback.",
        discussion: """
        Settings come from flags, then DECLUTTERD_* environment variables, then defaults. Every key \
        (e.g. upstream.base_url) has an environment name (DECLUTTERD_UPSTREAM_BASE_URL) and can be set \
        with --set KEY=VALUE. The API key comes from DECLUTTERD_API_KEY, upstream.api_key_file, or \
        $CREDENTIALS_DIRECTORY/api_key; it is never printed.
        """)

    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let configuration = try settings.loadOrExit()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "declutterd")
        let daemon: Daemon
        do {
            daemon = try Daemon(configuration: configuration, logger: logger)
        } catch {
            Terminal.error("declutterd: cannot open the store at \(configuration.databasePath): \(error)")
            throw ExitCode(73)
        }
        try await daemon.run {
            logger.info("ready", metadata: ["callbacks": "\(daemon.bound.callbacks ?? "-")", "local": "\(daemon.bound.local ?? daemon.bound.socket ?? "-")"])
        }
    }
}

/// The settings flags shared by `serve` and `check-config`.
struct SettingsOptions: ParsableArguments {
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
        do {
            return try ConfigurationLoader(flags: try flags()).load()
        } catch let error as ConfigurationError {
            Terminal.error("declutterd: \(error)")
            throw ExitCode(78)
        }
    }
}
