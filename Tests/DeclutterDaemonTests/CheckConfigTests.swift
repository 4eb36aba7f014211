import DeclutterDaemon
import Foundation
import TestSupport
import Testing

/// `declutterd check-config` (and `serve`'s start-up checks) run as the built executable.
@Suite("declutterd check-config", .timeLimit(.minutes(1)))
struct CheckConfigTests {
    static let apiKey = "sk-live-7Hq2ZpX9wLr4Vb8NcT3m"
    static let userID = "0b5a1a4e-1f6b-4a53-9a49-4b7e0f0d2f10"

    /// A valid setup: a file, the key as a systemd credential, the store (by default) in a directory not yet
    /// there; `callbacks` and `more` add lines to the `[callbacks]` section and sections of their own.
    static func validSetup(_ scratch: ConfigurationScratch, databasePath: String? = nil,
                           callbacks: String = #"allow_from = ["10.0.0.0/8", "::1"]"#, more: String = "") throws
        -> (config: String, environment: [String: String]) {
        try scratch.write("credentials/api_key", apiKey + "\n")
        let config = try scratch.write("etc/declutterd.toml", """
            [upstream]
            user_id = "\(userID)"

            [callbacks]
            public_base_url = "https://callbacks.example.com"
            \(callbacks)
            \(more)
            [database]
            path = "\(databasePath ?? scratch.path("state/declutterd.sqlite"))"
            """)
        return (config, ["CREDENTIALS_DIRECTORY": scratch.path("credentials")])
    }

    @Test("a valid configuration exits 0 and shows every key with its source, the API key redacted")
    func valid() async throws {
        let scratch = try ConfigurationScratch()
        let (config, environment) = try Self.validSetup(scratch)

        let run = try await CLI.run(clean: true, ["check-config", "--config", config, "--log-level", "debug"], environment: environment)
        #expect(run.status == 0, "\(run)")
        for key in Setting.all.map(\.key) {
            #expect(run.stdout.contains("\n\(key) "), "\(key) is missing: \(run)")
        }
        #expect(run.stdout.contains("file \(config):2"), "upstream.user_id comes from the file: \(run)")
        #expect(run.stdout.range(of: #"log\.level +debug +flag"#, options: .regularExpression) != nil, "\(run)")
        #expect(run.stdout.range(of: #"polling\.callback_grace +10m +default"#, options: .regularExpression) != nil, "\(run)")
        #expect(run.stdout.contains("<redacted: \(Self.apiKey.count) characters>"), "\(run)")
        #expect(run.stdout.contains("$CREDENTIALS_DIRECTORY/api_key (\(scratch.path("credentials/api_key")))"), "\(run)")
        #expect(run.stdout.contains("database: ok:"), "\(run)")
        Self.expectNoKey(in: run)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("state")), "check-config must not create the store")
        print("declutterd check-config:\n\(run.stdout)")
    }

    @Test("--json: every key with value and source, the key's origin and length only")
    func json() async throws {
        let scratch = try ConfigurationScratch()
        let (_, environment) = try Self.validSetup(scratch)
        // No --config: systemd's ConfigurationDirectory= finds it.
        let run = try await CLI.run(clean: true, ["check-config", "--json"],
                                                   environment: environment.merging(["CONFIGURATION_DIRECTORY": scratch.path("etc")]) { $1 })
        #expect(run.status == 0, "\(run)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run)")
        let settings = try #require(object["settings"] as? [String: [String: Any]])
        #expect(Set(settings.keys) == Set(Setting.all.map(\.key)))
        #expect(settings["callbacks.allow_from"]?["value"] as? String == "10.0.0.0/8,::1/128")
        #expect(settings["callbacks.allow_from"]?["source"] as? String == "file \(scratch.path("etc/declutterd.toml")):6")
        #expect(object["configuration_file"] as? String == scratch.path("etc/declutterd.toml"))
        let apiKey = try #require(object["api_key"] as? [String: Any])
        #expect(apiKey["length"] as? Int == Self.apiKey.count)
        #expect((object["database"] as? [String: Any])?["usable"] as? Bool == true)
        Self.expectNoKey(in: run)
    }

    @Test("a bad configuration exits 78 with one line naming the key")
    func badConfiguration() async throws {
        let scratch = try ConfigurationScratch()
        let (_, environment) = try Self.validSetup(scratch)
        let config = try scratch.write("bad.toml", "[upstream]\nuser_id = \"\(Self.userID)\"\n[callbacks]\nlisten = \"127.0.0.1:99999\"\n")

        let run = try await CLI.run(clean: true, ["check-config", "--config", config], environment: environment)
        #expect(run.status == 78, "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(run.stderr == "declutterd: configuration callbacks.listen: cannot use \"127.0.0.1:99999\" (from file \(config):4): "
            + "expected host:port with a port from 0 to 65535 ([::1]:8788 for IPv6)\n", "\(run)")

        let unknown = try await CLI.run(clean: true, ["check-config", "--config", scratch.write("typo.toml", "[log]\nlevl = \"debug\"\n")],
                                                       environment: environment)
        #expect(unknown.status == 78, "\(unknown)")
        #expect(unknown.stderr.hasPrefix("declutterd: configuration log.levl: unknown key"), "\(unknown)")
        #expect(unknown.stderr.split(separator: "\n").count == 1, "\(unknown)")

        let missing = try await CLI.run(clean: true, ["check-config"], environment: ["DECLUTTERD_CONFIG": scratch.path("nope.toml")])
        #expect(missing.status == 78, "\(missing)")
        #expect(missing.stderr == "declutterd: configuration DECLUTTERD_CONFIG: cannot read \(scratch.path("nope.toml")): No such file or directory\n", "\(missing)")

        let noKey = try await CLI.run(clean: true, ["check-config", "--user-id", Self.userID], environment: [:])
        #expect(noKey.status == 78, "\(noKey)")
        #expect(noKey.stderr.hasPrefix("declutterd: configuration upstream.api_key_file: no API key"), "\(noKey)")
    }

    @Test("serve with a bad port exits 78 before anything starts")
    func serveBadPort() async throws {
        let scratch = try ConfigurationScratch()
        let (config, environment) = try Self.validSetup(scratch)
        let run = try await CLI.run(clean: true, ["serve", "--config", config, "--callbacks-listen", "127.0.0.1:99999"], environment: environment)
        #expect(run.status == 78, "\(run)")
        #expect(run.stderr.hasPrefix("declutterd: configuration callbacks.listen: cannot use \"127.0.0.1:99999\" (from flag)"), "\(run)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("state")))
    }

    @Test("a store that cannot be created exits 73 and says why")
    func unusableDatabase() async throws {
        let scratch = try ConfigurationScratch()
        let (config, environment) = try Self.validSetup(scratch)
        let blocker = try scratch.write("not-a-directory", "")
        let run = try await CLI.run(clean: true, ["check-config", "--config", config, "--database-path", blocker + "/x.sqlite"], environment: environment)
        #expect(run.status == 73, "\(run)")
        #expect(run.stdout.contains("database: NOT USABLE: \(blocker) is not a directory"), "\(run)")
        #expect(run.stderr == "declutterd: database.path: cannot create the store at \(blocker)/x.sqlite: \(blocker) is not a directory\n", "\(run)")
    }

    /// Neither the key nor any recognisable piece of it.
    static func expectNoKey(in run: CLI.Run) {
        let output = run.stdout + run.stderr
        for piece in [apiKey, String(apiKey.prefix(12)), String(apiKey.suffix(8)), "7Hq2ZpX9", "Vb8NcT3m"] {
            #expect(!output.contains(piece), "the output shows \(piece)")
        }
    }
}

@Suite("serve at start: what it says before it serves")
struct ServeStartTests {
    @Test("a listener whose address is taken is named with its address (exit 75); an unknown DECLUTTERD_ variable is warned about")
    func portInUse() async throws {
        try await Harness.with { harness in
            let taken = try #require(URL(string: harness.daemon.callbackBaseURL)?.port)
            let scratch = try TemporaryDirectory(prefix: "declutterd-port")
            defer { scratch.remove() }
            let run = try await CLI.run(clean: true, ["serve"], environment: [
                "DECLUTTERD_API_KEY": "sk-test", "DECLUTTERD_UPSTREAM_USER_ID": UUID().uuidString,
                "DECLUTTERD_DATABASE_PATH": scratch.file("d.sqlite"), "DECLUTTERD_CALLBACKS_LISTEN": "127.0.0.1:\(taken)",
                "DECLUTTERD_LOCAL_LISTEN": "127.0.0.1:0", "DECLUTTERD_POLLING_GRACE": "10m",
            ])
            #expect(run.status == 75, "\(run)")
            #expect(run.stderr.contains("declutterd: callbacks.listen: cannot listen on 127.0.0.1:\(taken): "), "\(run)")
            #expect(run.stderr.contains("DECLUTTERD_POLLING_GRACE is not a setting this version knows"), "\(run)")
        }
    }
}
