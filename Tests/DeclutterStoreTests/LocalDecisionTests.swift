import DeclutterAPI
@testable import DeclutterStore
import Foundation
import GRDB
import Testing

@Suite("Local decisions (REJECTED, LOST, unknown outcome) never override what upstream said")
struct LocalDecisionTests {
    @Test func rejectionAfterAnEarlyCallbackIsAConflictAndChangesNothing() async throws {
        try await withTemporaryDatabase { database, _ in
            let token = CallbackToken.random()
            let row = try await database.beginRow(callbackTokenHash: token.hash)
            _ = try await database.apply(report(#"{"status": "PROCESSING"}"#), to: .callbackTokenHash(token.hash))
            let result = try await database.recordRejected(forRow: row, httpStatus: 400, reason: "refused", rawBody: nil, at: t0.plus(1))
            #expect(result.outcome == .conflict)
            #expect(try await database.row(row).status == .processing)
            #expect(try await database.events(forRow: row).last?.outcome == .conflict)
        }
    }

    @Test func unknownOutcomeAfterAnEarlyCallbackIsStale() async throws {
        try await withTemporaryDatabase { database, _ in
            let token = CallbackToken.random()
            let row = try await database.beginRow(callbackTokenHash: token.hash)
            _ = try await database.apply(report(succeededJSON), to: .callbackTokenHash(token.hash))
            let result = try await database.recordOutcomeUnknown(forRow: row, reason: "timeout", httpStatus: nil, at: t0.plus(1))
            #expect(result.outcome == .stale)
            let generation = try await database.row(row)
            #expect(generation.status == .succeeded)
            #expect(generation.statusReason == nil)
        }
    }

    @Test func givingUpOnAFinishedGenerationIsStale() async throws {
        try await withTemporaryDatabase { database, _ in
            let submitted = try await database.submitted()
            _ = try await database.apply(report(succeededJSON), to: submitted.byToken)
            let result = try await database.markLost(row: submitted.row, reason: "too old", at: t0.plus(90_000))
            #expect(result.outcome == .stale)
            #expect(try await database.row(submitted.row).status == .succeeded)
        }
    }

    @Test func checkWritableCommitsAHeartbeat() async throws {
        try await withTemporaryDatabase { database, _ in
            try await database.checkWritable(at: t0)
            try await database.checkWritable(at: t0.plus(5))
            let beat = try await database.read { db in try String.fetchAll(db, sql: "SELECT at FROM heartbeat") }
            #expect(beat == [StoreFormat.timestamp(t0.plus(5))])
        }
    }
}
