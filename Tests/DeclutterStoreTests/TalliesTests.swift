import DeclutterAPI
@testable import DeclutterStore
import Foundation
import GRDB
import TestSupport
import Testing

/// The counts `/v1/stats` and `/metrics` read come from the triggers' tallies (migration v5): they must agree
/// with a full count whatever wrote the rows, and the list of one state must read its page from an index.
@Suite("Tallies and list indexes")
struct TalliesTests {
    @Test("tallies agree with a full count after submissions, callbacks, polls, the archive, and an operator's SQL")
    func talliesAgreeWithFullCounts() async throws {
        try await withTemporaryDatabase { database, _ in
            let succeeded = try await database.submitted()
            _ = try await database.apply(report(succeededJSON, at: t0.plus(5)), to: succeeded.byToken)
            let failed = try await database.submitted()
            _ = try await database.apply(report(#"{"status": "FAILED"}"#, source: .poll, at: t0.plus(6)), to: .row(failed.row))
            let processing = try await database.submitted()
            _ = try await database.apply(report(#"{"status": "PROCESSING"}"#, at: t0.plus(7)), to: processing.byToken)
            _ = try await database.apply(report(#"{"status": "PROCESSING"}"#, at: t0.plus(8)), to: processing.byToken)  // duplicate
            _ = try await database.beginRow()
            try await Self.expectTalliesMatch(database)

            let image = try #require(try await database.dueImages(at: t0.plus(10), excluding: [], limit: 1).first)
            let imageID = try #require(image.id)
            _ = try await database.beginImageAttempt(imageID, at: t0.plus(10), retryAt: t0.plus(20))
            let file = ArchivedFileFacts(sha256: String(repeating: "a", count: 64), bytes: 1234, contentType: "image/png", width: 1, height: 1)
            try await database.recordImageAttempt(imageID, .archived(file), at: t0.plus(11))
            try await Self.expectTalliesMatch(database)
            #expect(try await database.archiveCounts().archivedBytes == 1234)

            // An operator at the sqlite3 prompt.
            try await database.write { db in
                try db.execute(sql: "UPDATE generations SET status = 'LOST', resolved_by = NULL WHERE id = ?", arguments: [succeeded.row])
                try db.execute(sql: "DELETE FROM images")
                try db.execute(sql: "DELETE FROM events WHERE generation = ?", arguments: [processing.row])
                try db.execute(sql: "DELETE FROM messages WHERE generation = ?", arguments: [processing.row])
                try db.execute(sql: "DELETE FROM quota_history WHERE generation = ?", arguments: [processing.row])
                try db.execute(sql: "DELETE FROM generations WHERE id = ?", arguments: [processing.row])
            }
            try await Self.expectTalliesMatch(database)
        }
    }

    @Test("a database migrated to v5 with rows in it starts with exact tallies")
    func migrationFillsTheTallies() async throws {
        let queue = try DatabaseQueue()
        try Migrations.migrator.migrate(queue, upTo: "v4: the result archive and uploaded photos")
        try await queue.write { db in
            for (index, status) in ["STARTING", "STARTING", "SUCCEEDED", "FAILED"].enumerated() {
                try db.execute(sql: """
                    INSERT INTO generations (kind, status, resolved_by, created_at, updated_at) VALUES ('tracked', ?, ?, ?, ?)
                    """, arguments: [status, index >= 2 ? "callback" : nil, StoreFormat.timestamp(t0), StoreFormat.timestamp(t0)])
            }
        }
        let database = try AppDatabase(queue)
        let stats = try await database.stats()
        #expect(stats.countsByState == [.starting: 2, .succeeded: 1, .failed: 1])
        #expect(stats.resolvedByCallback == 2)
    }

    @Test("a page of one state reads its rows from the index, newest first, without sorting")
    func stateListUsesItsIndex() async throws {
        try await withTemporaryDatabase { database, _ in
            let plan = try await database.read { db in
                let statement = try AppDatabase.listRequest(GenerationFilter(status: .starting, before: 1000)).makePreparedRequest(db).statement
                return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + statement.sql, arguments: statement.arguments)
                    .map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.contains("generations_by_status_newest") }, "plan: \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "the index must give the order: \(plan)")
        }
    }

    static func expectTalliesMatch(_ database: AppDatabase, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (statuses, resolutions, images) = try await database.read { db in
            (try Self.groups(db, "SELECT status, count(*) FROM generations GROUP BY status"),
             try Self.groups(db, "SELECT resolved_by, count(*) FROM generations WHERE resolved_by IS NOT NULL GROUP BY resolved_by"),
             try Self.groups(db, "SELECT state, count(*) FROM images GROUP BY state"))
        }
        let stats = try await database.stats()
        let counted: [String: Int] = Dictionary(uniqueKeysWithValues: stats.countsByState.map { ($0.key.rawValue, $0.value) })
        #expect(counted.filter { $0.value != 0 } == statuses, sourceLocation: sourceLocation)
        #expect(stats.resolvedByCallback == resolutions["callback"] ?? 0 && stats.resolvedByPoll == resolutions["poll"] ?? 0,
                "\(stats) \(resolutions)", sourceLocation: sourceLocation)
        let archive = try await database.archiveCounts()
        let kept: [Int] = [archive.pending, archive.archived, archive.failed, archive.pruned]
        let full: [Int] = ["pending", "archived", "failed", "pruned"].map { images[$0] ?? 0 }
        #expect(kept == full, sourceLocation: sourceLocation)
    }

    static func groups(_ db: Database, _ sql: String) throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: sql).map { ($0[0] as String, $0[1] as Int) })
    }
}
