import DeclutterAPI
@testable import DeclutterStore
import Foundation
import GRDB
import TestSupport
import Testing

@Suite("Local decisions (REJECTED, LOST, unknown outcome) never override what upstream said")
struct LocalDecisionTests {
    @Test(arguments: StoreBackend.available) func rejectionAfterAnEarlyCallbackIsAConflictAndChangesNothing(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let token = CallbackToken.random()
            let row = try await database.beginRow(callbackTokenHash: token.hash)
            _ = try await database.apply(report(#"{"status": "PROCESSING"}"#), to: .callbackTokenHash(token.hash))
            let result = try await database.recordRejected(forRow: row, httpStatus: 400, reason: "refused", rawBody: nil, at: t0.plus(1))
            #expect(result.outcome == .conflict)
            #expect(try await database.row(row).status == .processing)
            #expect(try await database.events(forRow: row).last?.outcome == .conflict)
        }
    }

    @Test(arguments: StoreBackend.available) func unknownOutcomeAfterAnEarlyCallbackIsStale(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let token = CallbackToken.random()
            let row = try await database.beginRow(callbackTokenHash: token.hash)
            _ = try await database.apply(report(succeededJSON), to: .callbackTokenHash(token.hash))
            let result = try await database.recordOutcomeUnknown(forRow: row, reason: "timeout", httpStatus: nil, at: t0.plus(1), giveUpAt: t0.plus(86_400))
            #expect(result.outcome == .stale)
            let generation = try await database.row(row)
            #expect(generation.status == .succeeded)
            #expect(generation.statusReason == nil)
        }
    }

    @Test(arguments: StoreBackend.available) func givingUpOnAFinishedGenerationIsStale(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
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

    @Test(arguments: StoreBackend.available) func aRejectionReleasesItsIdempotencyKey(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let request = SubmissionRequest(kind: .generation, imageURL: "https://example.com/room.jpg", auto: true, idempotencyKey: "k-1")
            guard case .new(let first) = try await database.beginSubmission(request, at: t0), let row = first.id else {
                Issue.record("the first submission must be new")
                return
            }
            _ = try await database.recordRejected(forRow: row, httpStatus: 503, reason: "unavailable", rawBody: nil, at: t0.plus(1))
            guard case .new(let retry) = try await database.beginSubmission(request, at: t0.plus(2)) else {
                Issue.record("nothing was spent: a retry under the same key must try again")
                return
            }
            #expect(retry.id != row)
        }
    }

    @Test(arguments: StoreBackend.available) func unknownOutcomesAndOrphanedSubmissionsGetAGiveUpDate(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let unknown = try await database.beginRow(at: t0)
            _ = try await database.recordOutcomeUnknown(forRow: unknown, reason: "timeout", httpStatus: nil, at: t0.plus(1), giveUpAt: t0.plus(86_400))
            #expect(try await database.row(unknown).nextPollAt == t0.plus(86_400))
            let orphan = try await database.beginRow(at: t0.plus(5))
            #expect(try await database.row(orphan).nextPollAt == nil)
            // (At a start 20 minutes on: PostgreSQL leaves younger ones alone, as possibly another instance's in flight.)
            #expect(try await database.scheduleOrphanedSubmissions(giveUpAfter: .seconds(3600), at: t0.plus(1200)) == 1)
            #expect(try await database.row(orphan).nextPollAt == t0.plus(5 + 3600))
            #expect(try await database.scheduleOrphanedSubmissions(giveUpAfter: .seconds(3600), at: t0.plus(1200)) == 0)
        }
    }

    @Test(arguments: StoreBackend.available) func aFailedPollOfALostGenerationKeepsItsReason(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            _ = try await database.markLost(row: submitted.row, reason: "too old", at: t0.plus(90_000))
            let result = try await database.recordPollFailure(row: submitted.row, httpStatus: 503, reason: "unavailable", rawBody: nil,
                                                              at: t0.plus(90_001), nextPollAt: t0.plus(90_100))
            #expect(result.outcome == .rejected)
            let stored = try await database.row(submitted.row)
            #expect(stored.status == .lost)
            #expect(stored.statusReason == "too old")
            #expect(stored.nextPollAt == nil)
        }
    }

    @Test(arguments: StoreBackend.available) func consecutiveNotFoundCountsOnlyTheRunningStreak(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            for (offset, status) in [404, 503, 404, 400].enumerated() {
                _ = try await database.recordPollFailure(row: submitted.row, httpStatus: status, reason: "HTTP \(status)", rawBody: nil,
                                                         at: t0.plus(Double(offset)), nextPollAt: t0.plus(100))
            }
            #expect(try await database.consecutiveNotFound(row: submitted.row) == 2)
        }
    }

    @Test(arguments: StoreBackend.available) func nextPollDateLeavesOutPollsInFlight(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let first = try await database.submitted(firstPollAt: t0.plus(10))
            _ = try await database.submitted(firstPollAt: t0.plus(20))
            #expect(try await database.nextPollDate() == t0.plus(10))
            #expect(try await database.nextPollDate(excluding: [first.row]) == t0.plus(20))
        }
    }
}
