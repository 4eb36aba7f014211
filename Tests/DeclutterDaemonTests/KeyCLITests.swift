import DeclutterDaemon
import DeclutterSandbox
import DeclutterStore
import Foundation
import TestSupport
import Testing

/// `declutterd keys` and `dashboard-link` as the built executable, and where a token must never show: the database,
/// the daemon's log, `check-config`, `keys list`.
@Suite("declutterd keys", .timeLimit(.minutes(3)))
struct KeyCLITests {
    @Test("keys are made on the store before any exists; their tokens, the login code and the session never reach the database, a log line, check-config or keys list")
    func tokensStaySecret() async throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-keys")
        defer { directory.remove() }
        let database = directory.file("declutterd.sqlite")
        let store = ["--database-path", database]

        // Made on the store directly: the token on stdout, once.
        let made = try await CLI.run(clean: true, ["keys", "create", "importer", "--scopes", "read,submit", "--budget", "10/day"] + store)
        #expect(made.status == 0, "\(made)")
        let token = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("dcl_") && token.count == 47 && made.stderr.contains("not shown again"), "\(made)")
        let admin = try await CLI.run(clean: true, ["keys", "create", "ops", "--scopes", "admin,read"] + store)
        let adminToken = admin.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await CLI.run(clean: true, ["keys", "create", "importer", "--scopes", "read"] + store).status == 73, "a name is never reused")
        #expect(try await CLI.run(clean: true, ["keys", "create", "Bad Name", "--scopes", "read"] + store).status == 64)
        #expect(try await CLI.run(clean: true, ["keys", "create", "x", "--scopes", "write"] + store).status == 64)
        #expect(try await CLI.run(clean: true, ["keys", "create", "x", "--scopes", "read", "--budget", "5/week"] + store).status == 64)

        // The daemon, with keys required, on that store; a debug log.
        let sandbox = try await Sandbox(configuration: .fast()).start()
        let serve = try ServeProcess(sandbox: sandbox, databasePath: database,
                                     extraEnvironment: ["DECLUTTERD_LOCAL_AUTH": "required", "DECLUTTERD_LOG_LEVEL": "debug"])
        let (_, local) = try await serve.listeners()
        #expect(try await Harness.send("GET", local + "/v1/stats").status == 401)
        #expect(try await Harness.send("GET", local + "/v1/stats", headers: KeyTests.bearer(token)).status == 200)
        #expect(try await Harness.send("GET", local + "/v1/stats", headers: KeyTests.bearer("dcl_" + String(token.dropFirst(4).reversed()))).status == 401)
        let submitted = try await Harness.send("POST", local + "/v1/generations", body: Data(KeyTests.submitBody.utf8), headers: KeyTests.bearer(token))
        #expect(submitted.status == 202 && submitted.json["key"] as? String == "importer", "\(submitted.text)")
        // The client commands send the key: from --key, or DECLUTTERD_KEY.
        let listed = try await CLI.run(clean: true, ["list", "--url", local, "--json"], environment: ["DECLUTTERD_KEY": token])
        #expect(listed.status == 0 && listed.stdout.contains("\"key\":\"importer\""), "\(listed)")
        #expect(try await CLI.run(clean: true, ["list", "--url", local]).status != 0, "without a key the daemon refuses")
        let rotated = try await Harness.send("POST", local + "/v1/keys/importer/rotate", body: Data(#"{"grace": "1h"}"#.utf8), headers: KeyTests.bearer(adminToken))
        let newToken = try #require(rotated.json["token"] as? String)
        // A dashboard link, opened once: the session cookie.
        let link = try await CLI.run(clean: true, ["dashboard-link", "--url", local, "--key", adminToken])
        #expect(link.status == 0 && link.stdout.hasPrefix(local + "/login?code="), "\(link)")
        let url = link.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let code = String(url.split(separator: "=").last ?? "")
        let login = try await Harness.send("GET", url)
        let session = String((login.header("Set-Cookie") ?? "").split(separator: ";")[0].split(separator: "=").last ?? "")
        #expect(login.status == 303 && !session.isEmpty)
        #expect(try await Harness.send("GET", local + "/keys", headers: ["Cookie": "declutterd_session=" + session]).status == 200)

        let check = try await CLI.run(clean: true, ["check-config", "--set", "local.auth=required", "--user-id", UUID().uuidString],
                                      environment: ["DECLUTTERD_API_KEY": "sk-test", "DECLUTTERD_KEY": token])
        let list = try await CLI.run(clean: true, ["keys", "list"] + store)
        #expect(list.status == 0 && list.stdout.contains("importer") && list.stdout.contains("10/day") && list.stdout.contains("active, old token until"),
                "\(list)")
        serve.signal(SIGTERM)
        #expect(try await serve.waitForExit() == 0)
        await sandbox.stop()

        let secrets = ["token": token, "admin token": adminToken, "rotated token": newToken, "login code": code, "session": session]
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).map { directory.file($0) }
        for (name, secret) in secrets {
            #expect(!serve.stderr.contains(secret), "the \(name) is in the daemon's log")
            #expect(!check.stdout.contains(secret) && !check.stderr.contains(secret), "the \(name) is in check-config's output")
            #expect(!list.stdout.contains(secret), "the \(name) is in keys list")
            for file in files where file.contains("declutterd.sqlite") {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "the \(name) is in \(file)")
            }
        }
        // The hashes are what the store keeps.
        let hashes = try Data(contentsOf: URL(fileURLWithPath: database))
        #expect(hashes.range(of: Data(KeyRules.hash(adminToken).utf8)) != nil, "the store keeps the admin token's hash")

        // Revoked on the store; a revoked key is not rotated.
        #expect(try await CLI.run(clean: true, ["keys", "revoke", "importer"] + store).status == 0)
        #expect(try await CLI.run(clean: true, ["keys", "rotate", "importer"] + store).status == 66)
        #expect(try await CLI.run(clean: true, ["keys", "revoke", "nobody"] + store).status == 66)
        // A wrong path is said, not read as an empty new store.
        let missing = try await CLI.run(clean: true, ["keys", "list", "--database-path", directory.file("elsewhere.sqlite")])
        #expect(missing.status == 66 && missing.stderr.contains("no store at"), "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("elsewhere.sqlite")))
        let after = try await CLI.run(clean: true, ["keys", "list", "--json"] + store)
        #expect(after.stdout.contains("\"revoked_at\""), "\(after)")
    }

    @Test("a local.listen beyond loopback with local.auth off refuses to start: exit 78, naming both settings")
    func publicListenNeedsKeys() async throws {
        let environment = ["DECLUTTERD_API_KEY": "sk-test", "DECLUTTERD_UPSTREAM_USER_ID": UUID().uuidString]
        let refused = try await CLI.run(clean: true, ["check-config", "--set", "local.listen=0.0.0.0:8788", "--set", "local.allow_public=true"],
                                        environment: environment)
        #expect(refused.status == 78 && refused.stderr.contains("local.listen") && refused.stderr.contains("local.auth"), "\(refused)")
        let served = try await CLI.run(clean: true, ["serve", "--set", "local.listen=0.0.0.0:0", "--set", "local.allow_public=true"], environment: environment)
        #expect(served.status == 78 && served.stderr.contains("local.auth=required"), "\(served)")
        let allowed = try await CLI.run(clean: true, ["check-config", "--set", "local.listen=0.0.0.0:8788", "--set", "local.allow_public=true",
                                                      "--set", "local.auth=required"], environment: environment)
        #expect(allowed.status == 0, "\(allowed)")
    }
}
