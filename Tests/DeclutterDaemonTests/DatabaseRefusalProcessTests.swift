import DeclutterStore
import Foundation
import GRDB
import TestSupport
import Testing

/// `declutterd serve` and `check-config` on a database they must not migrate: one line, its own exit code,
/// and the file left as it was.
@Suite("declutterd serve on a refused database", .timeLimit(.minutes(1)))
struct DatabaseRefusalProcessTests {
    /// A valid setup but for the database: the listeners on free ports, the key as a credential.
    private func setup(_ scratch: ConfigurationScratch, databasePath: String) throws -> (arguments: [String], environment: [String: String]) {
        let (config, environment) = try CheckConfigTests.validSetup(scratch, databasePath: databasePath, callbacks: #"listen = "127.0.0.1:0""#,
                                                                    more: "[local]\nlisten = \"127.0.0.1:0\"\n")
        return (["--config", config], environment)
    }

    /// `check-config` then `serve` on the file at `path`: both exit `status` with the one line `line`, and the
    /// file keeps its bytes.
    private func expectRefused(_ path: String, scratch: ConfigurationScratch, status: Int32, line: String) async throws {
        let (arguments, environment) = try setup(scratch, databasePath: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let check = try await CLI.run(clean: true, ["check-config"] + arguments, environment: environment)
        #expect(check.status == status, "\(check)")
        #expect(check.stderr == line + "\n", "\(check)")
        #expect(check.stdout.contains("database: REFUSED: "), "\(check)")

        let serve = try await CLI.run(clean: true, ["serve"] + arguments, environment: environment)
        #expect(serve.status == status, "\(serve)")
        #expect(serve.stderr == line + "\n", "\(serve)")
        #expect(serve.stdout.isEmpty, "\(serve)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the refused file was changed")
    }

    @Test("a newer declutterd's database: exit 76 and one line naming the unknown migration")
    func newerSchema() async throws {
        let scratch = try ConfigurationScratch()
        let path = scratch.path("state/declutterd.sqlite")
        try FileManager.default.createDirectory(atPath: scratch.path("state"), withIntermediateDirectories: true)
        try await withDatabase(at: path) { _ in }
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v2: from the future')") }
        try queue.close()

        try await expectRefused(path, scratch: scratch, status: 76, line: "declutterd: database.path: \(path) was migrated by a newer declutterd "
            + "(migrations this one does not know: \"v2: from the future\"); run that version, or restore a backup made by this one; nothing was written to it")
    }

    @Test("another application's database: exit 65 and one line naming its tables")
    func foreign() async throws {
        let scratch = try ConfigurationScratch()
        let path = scratch.path("state/app.sqlite")
        try FileManager.default.createDirectory(atPath: scratch.path("state"), withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
            try db.execute(sql: "INSERT INTO customers (name) VALUES ('Ada')")
        }
        try queue.close()

        try await expectRefused(path, scratch: scratch, status: 65, line: "declutterd: database.path: \(path) is not a declutterd database "
            + "(it holds customers, and no declutterd migration); nothing was written to it: set database.path to another file")
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test("a file that is not SQLite: exit 65")
    func notSQLite() async throws {
        let scratch = try ConfigurationScratch()
        let path = try scratch.write("state/notes.txt", String(repeating: "not a database\n", count: 100))
        try await expectRefused(path, scratch: scratch, status: 65,
                                line: "declutterd: database.path: \(path) is not an SQLite database; nothing was written to it: set database.path to another file")
    }

    @Test("the systemd unit does not restart after a refused database (65, 76)")
    func unitKeepsItStopped() throws {
        let unit = try SystemdUnitFile(contentsOf: SystemdUnitTests.unitPath)
        let codes = Set((unit.last("Service", "RestartPreventExitStatus") ?? "").split(separator: " ").map(String.init))
        #expect(codes.isSuperset(of: ["64", "65", "76", "78"]), "\(codes)")
    }
}
