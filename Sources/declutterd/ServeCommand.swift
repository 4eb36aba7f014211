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
        Settings come from flags, then DECLUTTERD_* environment variables, then the configuration file \
        (--config, DECLUTTERD_CONFIG, or $CONFIGURATION_DIRECTORY/declutterd.toml), then defaults. Every key \
        (e.g. upstream.base_url) has an environment name (DECLUTTERD_UPSTREAM_BASE_URL) and can be set \
        with --set KEY=VALUE. The API key comes from DECLUTTERD_API_KEY, upstream.api_key_file, or \
        $CREDENTIALS_DIRECTORY/api_key; it is never printed.
        """)

    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let configuration = try settings.loadOrExit()
        DaemonLogging.bootstrap(level: configuration.logLevel)
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
