import ArgumentParser
import DeclutterDaemon
import DeclutterStore
import Foundation
import LocalClient
import Logging

/// `declutterd keys`: local API keys, made and managed on the store directly (as `store copy` works), so the first
/// admin key is made on the host before any key exists. Tokens are printed once; only their SHA-256 is kept.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make, list, revoke and rotate local API keys (docs/keys.md), on the store directly.",
        subcommands: [Create.self, List.self, Revoke.self, Rotate.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a key and print its token, once (only its SHA-256 is kept).",
            discussion: "Exit codes: 0 made, 64 a bad name, scope or budget, 73 the name is taken (names are never reused) "
                + "or 100 keys are in use, 69 the store cannot be opened, 78 the configuration is invalid.")

        @Argument(help: "The key's name: \(KeyRules.nameRule).") var name: String
        @Option(help: "What it may do: read, submit, admin, comma-separated.") var scopes: String
        @Option(help: "Photos it may spend: \(KeyBudget.format).") var budget: String?
        @OptionGroup var settings: SettingsOptions

        func validate() throws {
            guard KeyRules.isValidName(name) else { throw ValidationError("NAME must be \(KeyRules.nameRule), not `\(name)`") }
            guard KeyScope.parse(scopes) != nil else { throw ValidationError("--scopes must be read, submit and/or admin, comma-separated, not `\(scopes)`") }
            if let budget, KeyBudget(budget) == nil { throw ValidationError("--budget must be \(KeyBudget.format), not `\(budget)`") }
        }

        func run() async throws {
            let issued = try await KeysCommand.withStore(settings, creating: true) { store in
                try await store.issueKey(name: name, scopes: KeyScope.parse(scopes) ?? [], budget: budget.flatMap(KeyBudget.init), at: Date())
            }
            print(issued.token)
            Terminal.error("declutterd: key \(name) made (\(KeyScope.text(issued.key.scopes))\(issued.key.budget.map { ", \($0)" } ?? "")): "
                + "keep the token above now, it is not shown again")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys with what each has spent (never a token).")
        @Flag(help: "Print the keys as JSON, one document.") var json = false
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            let keys = try await KeysCommand.withStore(settings) { try await $0.keys(at: Date()).map(KeyView.init) }
            if json {
                print(String(decoding: try PublicJSON.encode(KeyListView(keys: keys)), as: UTF8.self))
            } else {
                print(keys.isEmpty ? "no keys" : ClientReport.keys(keys))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key: refused at once, on every instance; its dashboard sessions end.",
            discussion: "Exit codes: 0 revoked (or revoked already), 66 no such key.")
        @Argument(help: "The key's name.") var name: String
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            guard try await KeysCommand.withStore(settings, { try await $0.revokeKey(named: name, at: Date()) }) != nil else {
                Terminal.error("declutterd: no key named \(name)")
                throw ExitCode(66)
            }
            print("key \(name) revoked")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a key a new token and print it, once; the old token works for --grace more.",
            discussion: "Exit codes: 0 rotated, 64 a bad grace, 66 no such key (or it is revoked).")
        @Argument(help: "The key's name.") var name: String
        @Option(help: "How long the old token keeps working: 0s ends it now (default 24h, at most 30d).") var grace = "24h"
        @OptionGroup var settings: SettingsOptions

        func validate() throws {
            guard let grace = DurationText.parse(grace), grace <= KeyRules.maximumGrace else {
                throw ValidationError("--grace must be a duration from 0s to 30d (e.g. 24h), not `\(grace)`")
            }
        }

        func run() async throws {
            let length = DurationText.parse(grace) ?? KeyRules.defaultGrace
            guard let issued = try await KeysCommand.withStore(settings, { try await $0.reissueToken(name: name, grace: length, at: Date()) }) else {
                Terminal.error("declutterd: no key named \(name) (or it is revoked)")
                throw ExitCode(66)
            }
            print(issued.token)
            Terminal.error("declutterd: key \(name) has a new token: keep it now, it is not shown again"
                + (issued.key.key.previousValidUntil.map { "; the old one works until \(StoreFormat.timestamp($0))" } ?? "; the old one no longer works"))
        }
    }

    /// Opens the configured store (SQLite or PostgreSQL), runs `body`, closes it. A refusal of the store's own
    /// (a name taken, too many keys) is one line and exit 73; a store that cannot be opened, 69. Only `create` makes a
    /// SQLite file that is not there (the first key of a new host): the others, given a wrong path, say so (66) rather
    /// than read an empty new store.
    static func withStore<T: Sendable>(_ settings: SettingsOptions, creating: Bool = false,
                                       _ body: @escaping @Sendable (any Store) async throws -> T) async throws -> T {
        let configuration = try settings.storeConfigurationOrExit()
        if !creating, configuration.database.location == nil, !FileManager.default.fileExists(atPath: configuration.databasePath) {
            Terminal.error("declutterd: no store at \(configuration.databasePath): give --database-path (or the configuration serve uses)")
            throw ExitCode(66)
        }
        var logger = Logger(label: "declutterd.keys")
        logger.logLevel = .warning
        let store: any Store
        do {
            store = try await Daemon.openStore(configuration, logger: logger)
        } catch {
            Terminal.error("declutterd: the store cannot be opened: \(String(describing: error).prefix(500))")
            throw ExitCode(69)
        }
        let outcome: Result<T, any Error>
        do {
            // SQLite's writes go through its group commit, which runs beside `body`.
            if let sqlite = store as? AppDatabase {
                outcome = .success(try await sqlite.withWrites { try await body($0) })
            } else {
                outcome = .success(try await body(store))
            }
        } catch {
            outcome = .failure(error)
        }
        try? await store.close()
        do {
            return try outcome.get()
        } catch let refusal as StoreError {
            Terminal.error("declutterd: \(refusal)")
            throw ExitCode(73)
        }
    }
}

/// `declutterd dashboard-link`: a one-time URL that logs a browser in to the dashboard.
struct DashboardLinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard-link",
        abstract: "Print a one-time URL that logs a browser in to the dashboard (with an admin key, or over the unix socket).",
        discussion: "The link works once, within local.login_link_ttl (default 5 minutes); the session it opens lasts local.session_ttl.")

    @OptionGroup var client: ClientOptions
    @Option(name: .customLong("base-url"), help: "The dashboard's address as the browser reaches it (default: --url when it is http).")
    var baseURL: String?

    func run() async throws {
        let endpoint = try? LocalEndpoint(client.endpointText)
        let base = baseURL ?? endpoint?.webBase ?? LocalEndpoint.defaultURL
        try await client.withClient { api in
            let reply = try await api.dashboardLink()
            client.emit(reply) { link in
                (base.hasSuffix("/") ? String(base.dropLast()) : base) + link.path
            }
        }
    }
}
