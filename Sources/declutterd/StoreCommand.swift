import ArgumentParser
import DeclutterAPI
import DeclutterDaemon
import DeclutterStore
import Foundation
import Logging

/// `declutterd store`: what is done to the store itself, with the daemon stopped.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Work on the store itself: copy a SQLite store into PostgreSQL.",
        subcommands: [Copy.self])

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy everything a SQLite store holds into an empty PostgreSQL database.",
            discussion: """
            Copies every table (ids, callback tokens' hashes, the message sequence, endpoints with their secrets, \
            deliveries and attempts) and every archived image and uploaded input (into the database's files table), \
            in one transaction. Before committing, counts and checksums each table on both sides and hashes every \
            file again; any difference commits nothing. A copy that fails leaves the target empty: run it again. \
            Stop the daemon first (nothing may write the SQLite file during the copy); docs/postgresql.md has the \
            whole move. Exit codes: 0 copied, 65 the source is not a declutterd database (or not migrated by this \
            version), 66 no source file, 69 PostgreSQL unreachable, 73 the target is not empty, 74 an archived file \
            is missing or damaged, 70 the copy did not verify.
            """)

        @Option(help: "The target: postgres://user@host:port/database (the password from PGPASSWORD or the URL).")
        var to: String
        @Option(help: "The SQLite file to copy (default: database.path of the configuration).")
        var from: String?
        @Option(name: .customLong("archive-dir"), help: "Where its archived files are (default: archive.dir, or images/ beside the file).")
        var archiveDirectory: String?
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            let configuration = from == nil || archiveDirectory == nil ? try settings.loadOrExit() : nil
            let source = from ?? configuration?.databasePath ?? ""
            let archive = ArchiveDirectory(root: archiveDirectory ?? (configuration?.archive ?? ArchiveConfiguration()).directory(besideDatabaseAt: source))
            let target: PostgresLocation
            do {
                target = try PostgresLocation(url: to, password: ProcessInfo.processInfo.environment["PGPASSWORD"])
            } catch {
                Terminal.error("declutterd: --to: \(error)")
                throw ExitCode(64)
            }
            var logger = Logger(label: "declutterd.store-copy")
            logger.logLevel = .warning
            let began = ContinuousClock.now
            let copied: [PostgresCopy.Copied]
            do {
                let leases = PostgresStore.Leases((configuration?.database ?? DatabaseSettings()).lease)
                copied = try await PostgresCopy(source: source, fileAt: { archive.path(forSHA256: $0) }, target: target, leases: leases,
                                                logger: logger).run()
            } catch let refusal as CopyRefusal {
                Terminal.error("declutterd: store copy: \(refusal)")
                throw ExitCode(refusal.exitCode)
            } catch let refusal as DatabaseRefusal {
                Terminal.error("declutterd: store copy: \(refusal)")
                throw ExitCode(65)
            } catch {
                Terminal.error("declutterd: store copy: \(String(describing: error).prefix(500))")
                throw ExitCode(69)
            }
            let seconds = (ContinuousClock.now - began).seconds
            print("copied \(source) into \(target.redacted) in \(String(format: "%.1f", seconds)) s; verified, committed")
            for table in copied {
                print("  \(table.table.padding(toLength: 18, withPad: " ", startingAt: 0)) \(String(table.rows).leftPadded(9)) rows "
                      + "\(String(table.bytes).leftPadded(12)) bytes  sha256 \(table.checksum.prefix(16))")
            }
        }
    }
}

extension CopyRefusal {
    /// sysexits.h, as `serve` and `check-config` use them.
    var exitCode: Int32 {
        switch self {
        case .sourceMissing: 66
        case .sourceNotMigrated, .columnWithoutPlace: 65
        case .targetNotEmpty: 73
        case .fileMissing, .fileDamaged: 74
        case .mismatch: 70
        }
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
