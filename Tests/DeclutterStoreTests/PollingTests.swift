import DeclutterAPI
@testable import DeclutterStore
import Foundation
import GRDB
import TestSupport
import Testing

@Suite("Polling fields")
struct PollingTests {
    @Test(arguments: StoreBackend.available) func dueGenerationsAreTheDueOnesSoonestFirst(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let late = try await database.submitted(firstPollAt: t0.plus(30))
            let soon = try await database.submitted(firstPollAt: t0.plus(10))
            let middle = try await database.submitted(firstPollAt: t0.plus(20))
            let done = try await database.submitted(firstPollAt: t0.plus(5))
            _ = try await database.apply(report(succeededJSON), to: done.byToken)
            #expect(try await database.row(done.row).nextPollAt == nil)

            #expect(try await database.nextPollDate() == t0.plus(10))
            #expect(try await database.claimDueGenerations(at: t0.plus(25), limit: 1).map(\.id) == [soon.row])
            // PostgreSQL leases what it hands out (SQLite's one instance leaves out its polls in flight itself).
            let due = try await database.claimDueGenerations(at: t0.plus(30), limit: 10).map(\.id).filter { $0 != soon.row }
            #expect(due == [middle.row, late.row])
        }
    }

    @Test(arguments: StoreBackend.available) func noPendingGenerationMeansNoPollDate(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            #expect(try await database.nextPollDate() == nil)
            let done = try await database.submitted()
            _ = try await database.apply(report(succeededJSON), to: done.byToken)
            #expect(try await database.nextPollDate() == nil)
        }
    }

    @Test func dueQueryUsesThePartialIndex() async throws {
        try await withTemporaryDatabase { database, _ in
            let plan = try await database.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + AppDatabase.claimDueGenerationsSQL,
                                 arguments: [StoreFormat.timestamp(t0), 10]).map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.contains("USING INDEX generations_due") }, "plan: \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "the index must give the order: \(plan)")
        }
    }

    @Test(arguments: StoreBackend.available) func pollFailuresCountUntilAnAnswer(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            _ = try await database.recordPollFailure(row: submitted.row, httpStatus: 503, reason: "unavailable", rawBody: nil,
                                                     at: t0.plus(600), nextPollAt: t0.plus(630))
            let failed = try await database.recordPollFailure(row: submitted.row, httpStatus: nil, reason: "timeout", rawBody: nil,
                                                              at: t0.plus(630), nextPollAt: t0.plus(690))
            #expect(failed.generation.pollAttempts == 2)
            #expect(failed.generation.pollFailures == 2)
            #expect(failed.generation.nextPollAt == t0.plus(690))
            #expect(failed.event.outcome == .rejected)
            #expect(failed.generation.status == .starting)

            let answered = try #require(try await database.apply(
                report(#"{"status": "PROCESSING"}"#, source: .poll, at: t0.plus(690), reschedule: .exactly(t0.plus(720))), to: .row(submitted.row)))
            let stored = try await database.row(submitted.row)
            #expect(answered.generation == stored)
            #expect(stored.pollAttempts == 3)
            #expect(stored.pollFailures == 0)
            #expect(stored.lastPolledAt == t0.plus(690))
            #expect(stored.nextPollAt == t0.plus(720))
        }
    }

    @Test(arguments: StoreBackend.available) func invalidPollAnswerCountsAsAFailedPoll(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            let result = try #require(try await database.apply(
                report(#"{"state": "PROCESSING"}"#, source: .poll, at: t0.plus(600), reschedule: .exactly(t0.plus(660))), to: .row(submitted.row)))
            #expect(result.outcome == .rejected)
            #expect(result.generation.pollFailures == 1)
            #expect(result.generation.nextPollAt == t0.plus(660))
        }
    }

    @Test(arguments: StoreBackend.available) func lostIsRevivedByALateAnswer(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            let lost = try await database.markLost(row: submitted.row, reason: "no answer after 24 h", at: t0.plus(86_400))
            #expect(lost.outcome == .applied)
            #expect(lost.event.source == .giveup)
            #expect(try await database.row(submitted.row).status == .lost)
            #expect(try await database.row(submitted.row).nextPollAt == nil)

            let late = try #require(try await database.apply(report(succeededJSON, at: t0.plus(90_000)), to: submitted.byToken))
            #expect(late.outcome == .applied)
            let stored = try await database.row(submitted.row)
            #expect(stored.status == .succeeded)
            #expect(stored.statusReason == nil)
            #expect(stored.completedAt == t0.plus(90_000))
        }
    }
}
