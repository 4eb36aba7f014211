import DeclutterDaemon
import DeclutterStore
import Foundation
import TestSupport
import Testing

/// `database.url` (PostgreSQL) and its password: read from a credential file, never printed.
@Suite("database.url and its password", .timeLimit(.minutes(1)))
struct DatabaseURLTests {
    static let password = "pg-Secret-4Vb8NcT3m"

    static func loader(_ environment: [String: String]) -> ConfigurationLoader {
        ConfigurationLoader(environment: ["DECLUTTERD_API_KEY": "sk-test", "DECLUTTERD_UPSTREAM_USER_ID": CheckConfigTests.userID]
            .merging(environment) { $1 }, flags: [:], file: nil)
    }

    @Test("a URL holding a password is refused, and the message never shows it")
    func passwordInTheURLIsRefused() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try Self.loader(["DECLUTTERD_DATABASE_URL": "postgres://declutterd:\(Self.password)@db.internal/declutterd"]).report()
        }
        #expect(error?.key == "database.url")
        #expect(error?.problem.contains("holds a password") == true)
        #expect(error?.description.contains(Self.password) == false)
    }

    @Test("a location holding its password prints without it, however it is printed, and so does the configuration around it")
    func printedWithoutThePassword() throws {
        var settings = DatabaseSettings()
        settings.location = try PostgresLocation(url: "postgres://declutterd@db.internal/declutterd", password: Self.password)
        var dumped = ""
        dump(settings, to: &dumped)
        for text in [String(describing: settings), String(reflecting: settings), "\(settings.location!)", dumped] {
            #expect(!text.contains(Self.password), "\(text)")
            #expect(text.contains("postgres://declutterd:***@db.internal:5432/declutterd"), "\(text)")
        }
    }

    @Test("a URL that is not PostgreSQL's is refused naming the rule", arguments: [
        ("mysql://u@h/db", "must be postgres://"), ("postgres://db.internal/declutterd", "names no user"),
        ("postgres://u@db.internal/", "names no database"), ("postgres://u@h/db?sslmode=verify-full", "sslmode must be"),
        ("postgres://u@h/db?connect_timeout=5", "unknown parameter connect_timeout"),
    ])
    func invalidURLs(_ url: String, _ rule: String) throws {
        let error = #expect(throws: ConfigurationError.self) { try Self.loader(["DECLUTTERD_DATABASE_URL": url]).report() }
        #expect(error?.key == "database.url")
        #expect(error?.problem.contains(rule) == true, "\(String(describing: error))")
    }

    @Test("the password comes from the credential file database_password; the URL is shown with the password's origin only")
    func passwordFromTheCredentialFile() async throws {
        let scratch = try ConfigurationScratch()
        let (config, environment) = try CheckConfigTests.validSetup(scratch)
        try scratch.write("credentials/database_password", Self.password + "\n")
        let url = "postgres://declutterd@db.internal:5433/declutterd?sslmode=require"
        let loaded = try ConfigurationLoader(environment: environment.merging(["DECLUTTERD_DATABASE_URL": url, "DECLUTTERD_API_KEY": "sk-test"]) { $1 },
                                             flags: [:], file: try ConfigurationFile.read(path: config, origin: "--config")).report()
        #expect(loaded.configuration.database.location?.password == Self.password)
        #expect(loaded.configuration.database.location?.redacted == "postgres://declutterd:***@db.internal:5433/declutterd?sslmode=require")

        let run = try await CLI.run(clean: true, ["check-config", "--config", config], environment: environment.merging(["DECLUTTERD_DATABASE_URL": url]) { $1 })
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("backend: postgresql postgres://declutterd:***@db.internal:5433/declutterd?sslmode=require"), "\(run)")
        #expect(run.stdout.contains("database: password <redacted: \(Self.password.count) characters> from $CREDENTIALS_DIRECTORY/database_password"), "\(run)")
        #expect(!run.stdout.contains(Self.password) && !run.stderr.contains(Self.password), "\(run)")
        let json = try await CLI.run(clean: true, ["check-config", "--config", config, "--json"], environment: environment.merging(["DECLUTTERD_DATABASE_URL": url]) { $1 })
        #expect(json.stdout.contains(#""backend" : "postgresql""#), "\(json)")
        #expect(!json.stdout.contains(Self.password), "\(json)")
    }
}
