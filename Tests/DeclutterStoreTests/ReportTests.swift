import DeclutterAPI
import DeclutterStore
import Foundation
import TestSupport
import Testing

@Suite("Callbacks and poll answers")
struct ReportTests {
    @Test("the oldest pending generation is the oldest SUBMITTING, STARTING or PROCESSING one, never an ended one", arguments: StoreBackend.available)
    func oldestPending(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            #expect(try await database.stats().oldestPendingCreatedAt == nil)
            let ended = try await database.submitted(at: t0)
            _ = try await database.apply(report(succeededJSON, at: t0.plus(1)), to: ended.byToken)
            let processing = try await database.submitted(at: t0.plus(2))
            _ = try await database.apply(report(#"{"status": "PROCESSING"}"#, at: t0.plus(3)), to: processing.byToken)
            _ = try await database.submitted(at: t0.plus(4))
            _ = try await database.beginRow(at: t0.plus(5))
            #expect(try await database.stats().oldestPendingCreatedAt == t0.plus(2), "PROCESSING, past the SUCCEEDED one")
            _ = try await database.apply(report(succeededJSON, at: t0.plus(6)), to: processing.byToken)
            #expect(try await database.stats().oldestPendingCreatedAt == t0.plus(4), "then STARTING")
        }
    }

    @Test(arguments: StoreBackend.available) func duplicateSucceededChangesStateOnceAndRecordsTwoEvents(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            let first = try #require(try await database.apply(report(succeededJSON, at: t0.plus(5)), to: submitted.byToken))
            let second = try #require(try await database.apply(report(succeededJSON, at: t0.plus(9)), to: submitted.byToken))
            #expect(first.outcome == .applied)
            #expect(second.outcome == .duplicate)
            let stored = try await database.row(submitted.row)
            #expect(stored.status == .succeeded)
            #expect(stored.completedAt == t0.plus(5), "the duplicate must not move the completion time")
            #expect(stored.resolvedBy == .callback)
            #expect(stored.images == ["https://cdn.example.com/out/1.png"])
            #expect(stored.nextPollAt == nil)
            let outcomes = try await database.events(forRow: submitted.row).filter { $0.source == .callback }.map(\.outcome)
            #expect(outcomes == [.applied, .duplicate])
        }
    }

    @Test(arguments: StoreBackend.available) func processingAfterSucceededIsStale(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            _ = try await database.apply(report(succeededJSON), to: submitted.byToken)
            let late = try #require(try await database.apply(report(#"{"status": "PROCESSING"}"#, at: t0.plus(1)), to: submitted.byToken))
            #expect(late.outcome == .stale)
            #expect(late.event.statusBefore == .succeeded)
            #expect(late.event.statusReported == .processing)
            #expect(try await database.row(submitted.row).status == .succeeded)
        }
    }

    @Test(arguments: StoreBackend.available) func failedAfterSucceededIsAConflictNotApplied(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            _ = try await database.apply(report(succeededJSON), to: submitted.byToken)
            let result = try #require(try await database.apply(report(#"{"status": "FAILED"}"#, at: t0.plus(1)), to: submitted.byToken))
            #expect(result.outcome == .conflict)
            #expect(result.event.reason?.contains("FAILED") == true)
            let stored = try await database.row(submitted.row)
            #expect(stored.status == .succeeded)
            #expect(stored.refunded == false)
        }
    }

    @Test(arguments: StoreBackend.available) func failedIsRefunded(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            _ = try await database.apply(report(#"{"status": "PROCESSING"}"#), to: submitted.byToken)
            let result = try #require(try await database.apply(report(#"{"status": "FAILED"}"#, source: .poll, at: t0.plus(30)), to: .row(submitted.row)))
            #expect(result.outcome == .applied)
            let stored = try await database.row(submitted.row)
            #expect(stored.status == .failed)
            #expect(stored.refunded)
            #expect(stored.resolvedBy == .poll)
            #expect(stored.completedAt == t0.plus(30))
            #expect(stored.nextPollAt == nil)
        }
    }

    @Test(arguments: StoreBackend.available) func invalidPayloadIsRecordedAsRejectedAndChangesNothing(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted(firstPollAt: t0.plus(600))
            let before = try await database.row(submitted.row)
            let body = #"{"status": "SUCCEEDED"}"#
            let result = try #require(try await database.apply(report(body, at: t0.plus(5)), to: submitted.byToken))
            #expect(result.outcome == .rejected)
            #expect(result.violation?.rule == .imagesMissing)
            #expect(result.event.reason?.hasPrefix("images.missing") == true)
            #expect(result.event.rawBody?.text == body)
            #expect(result.event.statusReported == nil)
            let after = try await database.row(submitted.row)
            #expect(after.status == before.status)
            #expect(after.images == before.images)
            // An invalid callback is no news about the generation: its fallback poll is not put off.
            #expect(after.nextPollAt == before.nextPollAt)
        }
    }

    @Test(arguments: StoreBackend.available) func foreignGenerationIDIsRejectedAsMismatch(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            let body = #"{"status": "SUCCEEDED", "images": ["https://cdn.example.com/x.png"], "generation_id": "\#(UUID())"}"#
            let result = try #require(try await database.apply(report(body), to: submitted.byToken))
            #expect(result.outcome == .rejected)
            #expect(result.violation?.rule == .generationIDMismatch)
            #expect(result.event.reason?.hasPrefix("generation_id.mismatch") == true)
            #expect(try await database.row(submitted.row).status == .starting)
        }
    }

    @Test(arguments: StoreBackend.available) func matchingGenerationIDInAnyCaseApplies(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            let body = #"{"status": "PROCESSING", "generation_id": "\#(submitted.generationID.uuidString.uppercased())"}"#
            #expect(try await database.apply(report(body), to: submitted.byToken)?.outcome == .applied)
        }
    }

    @Test(arguments: StoreBackend.available) func unknownTokenWritesNothing(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            let events = try await database.count("events")
            let result = try await database.apply(report(succeededJSON), to: .callbackTokenHash(CallbackToken.random().hash))
            #expect(result == nil)
            #expect(try await database.count("events") == events)
            #expect(try await database.row(submitted.row).status == .starting)
        }
    }

    @Test(arguments: StoreBackend.available) func reportedIdentityAndVariationsAreKept(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            _ = try await database.apply(report(#"{"status": "PROCESSING", "variations": 3}"#), to: submitted.byToken)
            #expect(try await database.row(submitted.row).variations == 3)
            #expect(try await database.project(submitted.projectID)?.variationsCount == 3)
        }
    }
}

@Suite("Callback retention: what a leaked callback URL can cost")
struct CallbackRetentionTests {
    @Test("past max_rejected_events only the count grows; kept bodies are cut to the limit; the generation is untouched", arguments: StoreBackend.available)
    func rejectedCap(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            let before = try await database.row(submitted.row)
            let retention = CallbackRetention(rejectedEvents: 5, rejectedBodyBytes: 100)
            let big = String(repeating: "x", count: 5000)
            for index in 0..<30 {
                var invalid = report(#"{"status": "DONE", "padding": "\#(big)", "n": \#(index)}"#)
                invalid.retention = retention
                let result = try #require(try await database.apply(invalid, to: submitted.byToken))
                #expect(result.outcome == .rejected)
            }
            let rejected = try await database.events(forRow: submitted.row).filter { $0.source == .callback && $0.outcome == .rejected }
            #expect(rejected.count == 5)
            // Valid-shaped callbacks that change nothing share the same allowance: none is left for them.
            var duplicate = report(#"{"status": "STARTING", "padding": "\#(big)"}"#)
            duplicate.retention = retention
            #expect(try await database.apply(duplicate, to: submitted.byToken)?.outcome == .duplicate)
            #expect(try await database.events(forRow: submitted.row).filter { $0.source == .callback }.count == 5)
            #expect(rejected.allSatisfy { ($0.rawBody?.bytes.count ?? 0) <= 100 })
            #expect(rejected.allSatisfy { $0.reason?.contains("body cut to 100 of") == true })
            #expect(try await database.row(submitted.row) == before)
        }
    }

    @Test("a final generation's token answers for token_ttl after it ended, then is unknown and nothing is written", arguments: StoreBackend.available)
    func tokenTTL(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            let retention = CallbackRetention(tokenTTL: .seconds(3600))
            var done = report(succeededJSON, at: t0.plus(10))
            done.retention = retention
            #expect(try await database.apply(done, to: submitted.byToken)?.outcome == .applied)
            var late = report(succeededJSON, at: t0.plus(10 + 3599))
            late.retention = retention
            #expect(try await database.apply(late, to: submitted.byToken)?.outcome == .duplicate)
            let events = try await database.count("events")
            var expired = report(succeededJSON, at: t0.plus(10 + 3601))
            expired.retention = retention
            #expect(try await database.apply(expired, to: submitted.byToken) == nil)
            #expect(try await database.count("events") == events)
        }
    }
}

@Suite("Event pages")
struct EventPageTests {
    @Test("a page stops once its raw bodies pass the byte budget (after the first event), and pages cover the trail once, in order", arguments: StoreBackend.available)
    func byteBudget(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            let padding = String(repeating: "p", count: 1000)
            for index in 0..<8 {
                _ = try await database.apply(report(#"{"status": "PROCESSING", "padding": "\#(padding)", "n": \#(index)}"#, source: .poll),
                                             to: submitted.byToken)
            }
            let all = try await database.events(forRow: submitted.row)
            var seen: [Int64] = []
            var after: Int64?
            var pages = 0
            while true {
                let (events, more) = try await database.eventPage(forRow: submitted.row, after: after, limit: 100, bodyBytes: 2500)
                let bodies = events.map { $0.rawBody?.bytes.count ?? 0 }
                #expect(bodies.dropLast().reduce(0, +) < 2500, "only the last event of a page may cross the budget")
                #expect(!events.isEmpty)
                seen += events.compactMap(\.id)
                pages += 1
                guard more, pages < 20 else { break }
                after = events.last?.id
            }
            #expect(seen == all.compactMap(\.id))
            #expect(pages >= 3)
        }
    }
}
