@testable import DeclutterStore
import Foundation
import GRDB
import TestSupport
import Testing

/// A file the store must not migrate is refused before anything is written to it (docs/operations.md).
@Suite("Refused databases: a newer declutterd's, another application's, not SQLite")
struct DatabaseRefusalTests {
    static let future = "v99: a migration from a newer declutterd"

    @Test("a database with a migration this binary does not know is refused, naming it, and left byte for byte")
    func newerSchema() async throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-refusal")
        defer { directory.remove() }
        let path = directory.file("declutterd.sqlite")
        // Given a store this binary made, with a generation, then migrated further by a "newer declutterd"
        try await withDatabase(at: path) { database in _ = try await database.submitted() }
        try Self.write(path) { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [Self.future])
            try db.execute(sql: "CREATE TABLE future_things (id INTEGER PRIMARY KEY)")
        }
        let before = try FileSnapshot(path)

        // When it is opened
        let refusal = #expect(throws: DatabaseRefusal.self) { try AppDatabase.open(path: path) }

        // Then it is refused as newer, naming the unknown migration, and the file is as it was
        #expect(refusal == .newerSchema(path: path, unknownMigrations: [Self.future]))
        #expect(refusal?.description.contains("newer declutterd") == true)
        #expect(refusal?.description.contains("\"\(Self.future)\"") == true)
        #expect(try FileSnapshot(path) == before)
        #expect(throws: DatabaseRefusal.newerSchema(path: path, unknownMigrations: [Self.future])) { try AppDatabase.checkExisting(path: path) }
    }

    @Test("another application's database is refused, naming a few of its tables, and gets none of declutterd's")
    func foreign() async throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-refusal")
        defer { directory.remove() }
        let path = directory.file("app.sqlite")
        try Self.write(path) { db in
            for table in ["users", "orders", "sessions", "invoices"] {
                try db.execute(sql: "CREATE TABLE \(table) (id INTEGER PRIMARY KEY, note TEXT)")
                try db.execute(sql: "INSERT INTO \(table) (note) VALUES ('theirs')")
            }
        }
        let before = try FileSnapshot(path)
        #expect(before.tables == ["invoices", "orders", "sessions", "users"])

        let refusal = #expect(throws: DatabaseRefusal.self) { try AppDatabase.open(path: path) }

        #expect(refusal == .foreign(path: path, tables: ["invoices", "orders", "sessions"], tableCount: 4))
        #expect(refusal?.description == "\(path) is not a declutterd database (it holds invoices, orders, sessions and 1 more, "
            + "and no declutterd migration); nothing was written to it: set database.path to another file")
        #expect(try FileSnapshot(path) == before)
        // Still in its own journal mode: nothing turned WAL on.
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test("another GRDB application's database (its own migrations, none of declutterd's) is refused as foreign")
    func otherGRDBApplication() async throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-refusal")
        defer { directory.remove() }
        let path = directory.file("other.sqlite")
        var migrator = DatabaseMigrator()
        migrator.registerMigration("createUsers") { db in try db.execute(sql: "CREATE TABLE users (id INTEGER PRIMARY KEY)") }
        let queue = try DatabaseQueue(path: path)
        try migrator.migrate(queue)
        try queue.close()
        let before = try FileSnapshot(path)

        let refusal = #expect(throws: DatabaseRefusal.self) { try AppDatabase.open(path: path) }

        #expect(refusal == .foreign(path: path, tables: ["grdb_migrations", "users"], tableCount: 2))
        #expect(try FileSnapshot(path) == before)
    }

    @Test("a file that is not SQLite at all is refused and left as it was")
    func notSQLite() throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-refusal")
        defer { directory.remove() }
        let path = try directory.write("notes.sqlite", String(repeating: "these are someone's notes, not a database\n", count: 200))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        #expect(throws: DatabaseRefusal.notSQLite(path: path)) { try AppDatabase.open(path: path) }

        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("an empty file, and no file, become a fresh store; a store this binary made reopens")
    func emptyAndOwnFilesOpen() async throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-refusal")
        defer { directory.remove() }
        let empty = try directory.write("empty.sqlite", "")
        try AppDatabase.checkExisting(path: directory.file("absent.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("absent.sqlite")), "checking creates nothing")
        for path in [empty, directory.file("absent.sqlite")] {
            try await withDatabase(at: path) { database in _ = try await database.submitted() }
            try AppDatabase.checkExisting(path: path)
            try await withDatabase(at: path) { database async throws in #expect(try await database.count("generations") == 1) }
        }
    }

    @Test("a store on any writer refuses a foreign database before migrating it")
    func anyWriter() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in try db.execute(sql: "CREATE TABLE accounts (id INTEGER PRIMARY KEY)") }
        #expect(throws: DatabaseRefusal.foreign(path: ":memory:", tables: ["accounts"], tableCount: 1)) { try AppDatabase(queue) }
        let tables = try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(tables == ["accounts"])
    }

    /// Writes to `path` with a plain GRDB connection (no declutterd involved).
    static func write(_ path: String, _ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write(body)
        try queue.close()
    }
}

/// A database file's bytes and its tables (read on a read-only connection).
struct FileSnapshot: Equatable {
    let bytes: Data
    let tables: [String]

    init(_ path: String) throws {
        bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        tables = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        }
    }
}
