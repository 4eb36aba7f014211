import ArgumentParser
import DeclutterDaemon
import DeclutterStore
import Foundation

/// `declutterd check-config`: loads the configuration exactly as `serve` would and shows the result.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the configuration as serve would load it, and print every setting with its source.",
        discussion: """
        Takes the same settings flags as serve. Prints one line per key: its effective value and where it came \
        from (flag, env NAME, file PATH:LINE, default). The API key is never printed: only where it came from \
        and its length. Also checks that the store can be created at database.path, without creating it, and \
        reads an existing file there (read-only) as serve would before migrating it. Exit codes: 0 valid, 78 bad \
        configuration (one line naming the key on stderr), 73 the store cannot be created at database.path, 65 \
        the file there is not a declutterd database, 76 it was migrated by a newer declutterd.

        It sees what serve would see with the same environment. To check what the systemd unit will see, run it \
        with the unit's settings, e.g. `systemd-run --pipe --wait -p DynamicUser=yes -p ConfigurationDirectory=declutterd \
        -p StateDirectory=declutterd -p LoadCredential=api_key:/etc/declutterd/api_key declutterd check-config`, plus the \
        unit's Environment= lines as -p Environment=...
        """)

    @OptionGroup var settings: SettingsOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws {
        let report = try settings.reportOrExit()
        if let location = report.configuration.database.location {
            Terminal.line(json ? try Self.json(report, postgres: location) : Self.text(report, postgres: location).joined(separator: "\n"))
            return
        }
        let database = DatabaseLocationCheck(path: report.configuration.databasePath)
        let refusal = database.usable ? Self.refusal(at: database.path) : nil
        if json {
            Terminal.line(try Self.json(report, database: database, refusal: refusal))
        } else {
            for line in Self.text(report, database: database, refusal: refusal) { Terminal.line(line) }
        }
        if let refusal {
            Terminal.error("declutterd: database.path: \(refusal)")
            throw ExitCode(refusal.exitCode)
        }
        guard database.usable else {
            Terminal.error("declutterd: database.path: cannot create the store at \(database.path): \(database.detail)")
            throw ExitCode(73)
        }
    }

    /// What serve would refuse in an existing file at `path`, read without writing; nil for no file, a file it
    /// would open, or one it cannot read (serve then reports that itself, exit 73).
    static func refusal(at path: String) -> DatabaseRefusal? {
        do {
            try AppDatabase.checkExisting(path: path)
            return nil
        } catch let refusal as DatabaseRefusal {
            return refusal
        } catch {
            return nil
        }
    }

    /// The name the API key goes by in the listing; it is not a key the file accepts.
    static let apiKeyName = "api_key"

    static func redacted(_ origin: ConfigurationReport.SecretOrigin) -> String {
        "<redacted: \(origin.length) characters>"
    }

    /// `database`: the SQLite file's check; nil when the store is PostgreSQL's (the caller adds its line).
    static func text(_ report: ConfigurationReport, database: DatabaseLocationCheck?, refusal: DatabaseRefusal? = nil) -> [String] {
        var rows = report.settings.map { [$0.key, $0.value ?? unset($0.key), $0.source] }
        if let index = rows.firstIndex(where: { $0[0] == "upstream.api_key_file" }) {
            rows.insert([apiKeyName, redacted(report.apiKey), report.apiKey.source], at: index + 1)
        }
        rows.insert(["KEY", "VALUE", "SOURCE"], at: 0)
        let keyWidth = rows.map(\.[0].count).max()! + 2
        let valueWidth = rows.map(\.[1].count).max()! + 2
        var lines = ["configuration file: \(report.file ?? "none (flags, environment and defaults only)")"]
        lines += rows.map { Column.left($0[0], keyWidth) + Column.left($0[1], valueWidth) + $0[2] }
        if let refusal {
            lines.append("database: REFUSED: \(refusal)")
        } else if let database {
            lines.append("backend: sqlite \(database.path)")
            lines.append("database: \(database.usable ? "ok" : "NOT USABLE"): \(database.detail)")
        }
        lines += report.notes.map { "note: \($0)" }
        lines.append(refusal != nil ? "configuration loads, but serve would refuse the database"
            : database?.usable ?? true ? "configuration OK" : "configuration loads, but the store cannot be created")
        return lines
    }

    /// With `database.url`: the backend, the URL without its password, where the password came from.
    static func text(_ report: ConfigurationReport, postgres location: PostgresLocation) -> [String] {
        var lines = text(report, database: nil)
        lines.insert(contentsOf: ["backend: postgresql \(location.redacted)", "database: password \(passwordText(report))"],
                     at: lines.count - 1 - report.notes.count)
        return lines
    }

    static func passwordText(_ report: ConfigurationReport) -> String {
        report.databasePassword.map { "\(redacted($0)) from \($0.source)" } ?? "none (the server must trust this user)"
    }

    static func json(_ report: ConfigurationReport, postgres location: PostgresLocation) throws -> String {
        try json(report, database: [
            "backend": "postgresql", "url": location.redacted,
            "password": report.databasePassword.map { ["source": $0.source, "length": $0.length, "value": "<redacted>"] as [String: Any] } ?? NSNull(),
        ])
    }

    /// What an unset key means.
    static func unset(_ key: String) -> String {
        switch key {
        case "callbacks.allow_from": "(any source)"
        case "callbacks.public_base_url": "(none: submissions refused)"
        default: "(none)"
        }
    }

    static func json(_ report: ConfigurationReport, database: DatabaseLocationCheck, refusal: DatabaseRefusal? = nil) throws -> String {
        try json(report, database: [
            "backend": "sqlite", "path": database.path, "directory": database.directory, "usable": database.usable && refusal == nil,
            "detail": database.detail, "refused": refusal.map { "\($0)" as Any } ?? NSNull(),
        ])
    }

    private static func json(_ report: ConfigurationReport, database: [String: Any]) throws -> String {
        var settings: [String: Any] = [:]
        for setting in report.settings {
            settings[setting.key] = ["value": setting.value ?? NSNull(), "source": setting.source] as [String: Any]
        }
        let object: [String: Any] = [
            "valid": true,
            "configuration_file": report.file ?? NSNull(),
            "settings": settings,
            "api_key": ["source": report.apiKey.source, "length": report.apiKey.length, "value": "<redacted>"] as [String: Any],
            "database": database,
            "notes": report.notes,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
