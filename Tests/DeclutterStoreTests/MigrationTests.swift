@testable import DeclutterStore
import Foundation
import GRDB
import TestSupport
import Testing

@Suite("Schema, pragmas and reopening")
struct MigrationTests {
    @Test func freshFileHasEveryTableAndTheView() async throws {
        try await withTemporaryDatabase { database, _ in
            let objects = try await database.read { db in
                try Row.fetchAll(db, sql: "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view', 'index')")
                    .map { "\($0["type"] as String):\($0["name"] as String)" }
            }
            for table in ["projects", "generations", "events", "quota_history", "idempotency_keys"] {
                #expect(objects.contains("table:\(table)"))
            }
            #expect(objects.contains("view:generation_overview"))
            #expect(objects.contains("index:generations_due"))
        }
    }

    @Test func writerIsWALWithFullSynchronousAndForeignKeys() async throws {
        try await withTemporaryDatabase { database, _ async throws in
            #expect(try await database.writerPragma("journal_mode") == "wal")
            #expect(try await database.writerPragma("synchronous") == "2")
            #expect(try await database.writerPragma("foreign_keys") == "1")
        }
    }

    @Test func foreignKeysAreEnforced() async throws {
        try await withTemporaryDatabase { database, _ async throws in
            await #expect(throws: DatabaseError.self) {
                try await database.write { db in
                    try db.execute(sql: """
                        INSERT INTO events (generation, source, received_at, outcome) VALUES (4242, 'poll', '2027-01-15T08:00:00.000Z', 'applied')
                        """)
                }
            }
            #expect(try await database.count("events") == 0)
        }
    }

    @Test func reopeningMigratesNothingAndKeepsData() async throws {
        try await withTemporaryDatabase { database, path in
            let submitted = try await database.submitted()
            try await database.close()
            try await withDatabase(at: path) { reopened async throws in
                #expect(try await reopened.row(submitted.row).generationID == submitted.generationID)
                #expect(try await reopened.count("grdb_migrations") == Migrations.migrator.migrations.count)
                #expect(try await reopened.writerPragma("synchronous") == "2")
            }
        }
    }

    @Test(.enabled(if: SQLiteCLI.path != nil, "the sqlite3 command is not installed"))
    func sqlite3CanReadWhileTheStoreIsOpen() async throws {
        try await withTemporaryDatabase { database, path in
            let submitted = try await database.submitted()
            _ = try await database.apply(report(succeededJSON), to: submitted.byToken)
            let output = try await SQLiteCLI.run(path, "SELECT generation_id, status, image_count, event_count FROM generation_overview;")
            #expect(output == "\(StoreFormat.uuid(submitted.generationID))|SUCCEEDED|1|2\n")
            // The store still writes after sqlite3 has come and gone.
            _ = try await database.submitted()
            #expect(try await database.count("generations") == 2)
        }
    }
}

/// The `sqlite3` command-line shell, when installed.
enum SQLiteCLI {
    static let path: String? = ProcessRunner.onPath("sqlite3")?.path

    static func run(_ database: String, _ sql: String) async throws -> String {
        try await ProcessRunner.run(URL(fileURLWithPath: path!), [database, sql], environment: ProcessInfo.processInfo.environment).stdout
    }
}
