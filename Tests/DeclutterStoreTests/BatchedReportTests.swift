import DeclutterAPI
@testable import DeclutterStore
import Foundation
import TestSupport
import Testing

/// Reports written together: PostgreSQL's batches (`PostgresReportBatch`), and on both backends, reports that
/// arrive at once.
@Suite("Reports written together")
struct BatchedReportTests {
    @Test(arguments: StoreBackend.available)
    func reportsArrivingAtOnceEachGetTheirOwnResult(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            var submitted: [Submitted] = []
            for _ in 0..<30 { submitted.append(try await database.submitted()) }
            let results = try await withThrowingTaskGroup(of: (Int64, EventOutcome?).self) { group in
                for generation in submitted {
                    for offset in [5.0, 6.0] {
                        group.addTask { (generation.row, try await database.apply(report(succeededJSON, at: t0.plus(offset)), to: generation.byToken)?.outcome) }
                    }
                }
                return try await group.reduce(into: [Int64: [EventOutcome?]]()) { $0[$1.0, default: []].append($1.1) }
            }
            let messages = try await database.messages(matching: MessageFilter())
            for generation in submitted {
                #expect(results[generation.row]?.compactMap { $0 }.sorted { $0.rawValue < $1.rawValue } == [.applied, .duplicate])
                let stored = try await database.row(generation.row)
                #expect(stored.status == .succeeded)
                #expect(stored.version == 3, "created, accepted, succeeded")
                #expect(messages.filter { $0.generation == generation.row && $0.type == .generationSucceeded }.count == 1)
                let events = try await database.events(forRow: generation.row).filter { $0.source == .callback }
                #expect(events.map(\.outcome).sorted { $0.rawValue < $1.rawValue } == [.applied, .duplicate])
            }
        }
    }

    @Test("one batch: two reports on one generation see each other, and a report the database refuses fails alone")
    func oneBatchOnPostgres() async throws {
        guard StoreBackend.available.contains(.postgres) else { return }
        try await withTemporaryStore(.postgres) { store in
            let database = try #require(store as? PostgresStore)
            let first = try await database.submitted()
            let third = try await database.submitted()
            // A row that has no generation id yet: a callback naming the first one's id cannot be written (UNIQUE).
            let token = CallbackToken.random()
            let second = try await database.beginRow(callbackTokenHash: token.hash)
            let taken = #"{"status": "SUCCEEDED", "generation_id": "\#(first.generationID)", "images": ["https://cdn.example.com/x.png"]}"#
            let items = [
                PostgresReportBatch.Item(report: report(#"{"status": "PROCESSING"}"#, at: t0.plus(5)), locator: first.byToken),
                PostgresReportBatch.Item(report: report(succeededJSON, at: t0.plus(6)), locator: first.byToken),
                PostgresReportBatch.Item(report: report(taken, at: t0.plus(7)), locator: .callbackTokenHash(token.hash)),
                PostgresReportBatch.Item(report: report(succeededJSON, at: t0.plus(8)), locator: third.byToken),
                PostgresReportBatch.Item(report: report(succeededJSON, at: t0.plus(9)), locator: .callbackTokenHash("unknown")),
            ]
            let before = database.writeTotals
            let results = await PostgresReportBatch(store: database).apply(items)

            #expect(results.count == 5)
            #expect(try results[0].get()?.outcome == .applied)
            #expect(try results[1].get()?.outcome == .applied)
            #expect(try results[1].get()?.event.statusBefore == .processing, "the second report saw the first one's change")
            #expect(throws: (any Error).self) { try results[2].get() }
            #expect(try results[3].get()?.outcome == .applied)
            #expect(try results[4].get() == nil, "no generation has that token")

            let stored = try await database.row(first.row)
            #expect(stored.status == .succeeded)
            #expect(stored.version == 4, "created, accepted, processing, succeeded")
            let messages = try await database.messages(matching: MessageFilter()).filter { $0.generation == first.row }.map(\.type)
            #expect(messages == [.generationCreated, .generationUpdated, .generationUpdated, .generationSucceeded])
            let events = try await database.events(forRow: first.row).filter { $0.source == .callback }
            #expect(events.map(\.statusReported) == [.processing, .succeeded])
            #expect(events == [try results[0].get()?.event, try results[1].get()?.event].compactMap { $0 }, "the results carry the ids the events got")
            #expect(try await database.files(ofRow: first.row).images.map(\.sourceURL) == ["https://cdn.example.com/out/1.png"])

            #expect(try await database.row(second).status == .submitting, "the refused report changed nothing")
            #expect(try await database.events(forRow: second).filter { $0.source == .callback }.isEmpty)
            #expect(try await database.row(third.row).status == .succeeded)
            #expect(database.writeTotals.commits - before.commits >= 2, "split after the refusal: the halves were committed apart")
        }
    }

    @Test("a date as a batch row's JSON carries is the one a bound parameter carries, to the microsecond")
    func datesInBatchRows() async throws {
        guard StoreBackend.available.contains(.postgres) else { return }
        try await withTemporaryStore(.postgres) { store in
            let database = try #require(store as? PostgresStore)
            let dates = [t0, t0.plus(0.123456), t0.plus(-0.000001), Date(timeIntervalSince1970: 946_684_799.5), Date(timeIntervalSince1970: 1.25)]
            for date in dates {
                let same = try await database.read { connection in
                    try await connection.value("SELECT (\("[" + date.postgresJSON + "]")::jsonb ->> 0)::timestamptz = \(date)",
                                               as: Bool.self, logger: database.logger)
                }
                #expect(same == true, "\(date.postgresJSON)")
            }
        }
    }
}
