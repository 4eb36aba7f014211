import ArgumentParser
import DeclutterDaemon
import DeclutterStore
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

        Exit codes at start-up: 78 bad configuration; 73 the store cannot be opened; 65 \
        database.path is not a declutterd database (another application's, or not SQLite); 76 the database was \
        migrated by a newer declutterd; 75 a listener cannot listen (its address is in use): it names the \
        setting and the address. Each is one line on stderr; a refused database is left untouched.
        """)

    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        MemoryTuning.keepFreedHeapForReuse()
        let report = try settings.reportOrExit()
        let configuration = report.configuration
        DaemonLogging.bootstrap(level: configuration.logLevel)
        let logger = Logger(label: "declutterd")
        for note in report.notes { logger.warning("\(note)") }
        let daemon: Daemon
        let setting = configuration.database.location == nil ? "database.path" : "database.url"
        do {
            daemon = try Daemon(configuration: configuration, store: try await Daemon.openStore(configuration, logger: logger), logger: logger)
        } catch let refusal as DatabaseRefusal {
            Terminal.error("declutterd: \(setting): \(refusal)")
            throw ExitCode(refusal.exitCode)
        } catch {
            let location = configuration.database.location?.redacted ?? configuration.databasePath
            Terminal.error("declutterd: cannot open the store at \(location): \(String(reflecting: error).prefix(500))")
            throw ExitCode(73)
        }
        do {
            try await daemon.run {
                logger.info("ready", metadata: ["callbacks": "\(daemon.bound.callbacks ?? "-")", "local": "\(daemon.bound.local ?? daemon.bound.socket ?? "-")"])
            }
        } catch let error as ListenerError {
            Terminal.error("declutterd: \(error)")
            throw ExitCode(75)  // EX_TEMPFAIL: another process may let go of the address; systemd tries again
        }
    }
}

extension DatabaseRefusal {
    /// `serve` and `check-config` exit with these (sysexits.h): 65 EX_DATAERR for a file that is not a
    /// declutterd database, 76 EX_PROTOCOL for a schema newer than this binary. Restarting fixes neither.
    var exitCode: Int32 {
        switch self {
        case .foreign, .notSQLite: 65
        case .newerSchema: 76
        }
    }
}
