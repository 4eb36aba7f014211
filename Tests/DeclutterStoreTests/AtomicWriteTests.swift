import DeclutterAPI
@testable import DeclutterStore
import Foundation
import GRDB
import TestSupport
import Testing

@Suite("A state change and its event commit together")
struct AtomicWriteTests {
    @Test func appliedReportWritesBothRows() async throws {
        try await withTemporaryDatabase { database, _ in
            let submitted = try await database.submitted()
            let result = try #require(try await database.apply(report(succeededJSON, at: t0.plus(5)), to: submitted.byToken))
            let stored = try await database.row(submitted.row)
            #expect(stored.status == .succeeded)
            #expect(stored == result.generation)
            let events = try await database.events(forRow: submitted.row)
            #expect(events.last == result.event)
            #expect(events.last?.outcome == .applied)
        }
    }

    @Test func failedEventInsertLeavesTheGenerationUnchanged() async throws {
        try await withTemporaryDatabase { database, _ in
            // Given a generation, and an events table that refuses every insert
            let submitted = try await database.submitted()
            let before = try await database.row(submitted.row)
            let eventsBefore = try await database.count("events")
            try await database.write { db in
                try db.execute(sql: "CREATE TRIGGER refuse_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'boom'); END")
            }
            // When a terminal callback arrives
            await #expect(throws: DatabaseError.self) {
                try await database.apply(report(succeededJSON, at: t0.plus(5)), to: submitted.byToken)
            }
            // Then neither its state change nor its event is there
            #expect(try await database.row(submitted.row) == before)
            #expect(try await database.count("events") == eventsBefore)

            // And once events can be written again, the same callback applies in full.
            try await database.write { db in try db.execute(sql: "DROP TRIGGER refuse_events") }
            let result = try await database.apply(report(succeededJSON, at: t0.plus(6)), to: submitted.byToken)
            #expect(result?.outcome == .applied)
            #expect(try await database.count("events") == eventsBefore + 1)
        }
    }

    @Test func failedGenerationUpdateWritesNoEvent() async throws {
        try await withTemporaryDatabase { database, _ in
            let submitted = try await database.submitted()
            let eventsBefore = try await database.count("events")
            try await database.write { db in
                try db.execute(sql: "CREATE TRIGGER refuse_updates BEFORE UPDATE ON generations BEGIN SELECT RAISE(ABORT, 'boom'); END")
            }
            await #expect(throws: DatabaseError.self) {
                try await database.markLost(row: submitted.row, reason: "gave up", at: t0.plus(5))
            }
            #expect(try await database.row(submitted.row).status == .starting)
            #expect(try await database.count("events") == eventsBefore)
        }
    }
}
