import DeclutterAPI
@testable import DeclutterStore
import Foundation
import GRDB
import Synchronization
import TestSupport
import Testing

@Suite("Group commit")
struct GroupCommitTests {
    /// Counts the transactions committed on the writer connection.
    final class CommitCounter: TransactionObserver, Sendable {
        private let count = Mutex(0)
        var commits: Int { count.withLock { $0 } }

        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseDidCommit(_ db: Database) { count.withLock { $0 += 1 } }
        func databaseDidRollback(_ db: Database) {}
    }

    enum Call: Sendable {
        case distinct(Int64), shared(Int64), missing(Int64)
    }

    @Test func concurrentWritesShareCommitsAndEachCallerGetsItsOwnResult() async throws {
        try await withTemporaryDatabase { database, _ in
            // Given 180 generations, the first of which gets 21 identical callbacks, the others one each,
            // and one write about a generation that does not exist
            let rows = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<180 { group.addTask { try await database.beginRow() } }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            let shared = rows[0]
            let calls = rows.dropFirst().map(Call.distinct) + Array(repeating: Call.shared(shared), count: 21) + [.missing(9_999_999)]
            let eventsBefore = try await database.count("events")
            let counter = CommitCounter()
            let writer = try #require(database.reader as? any DatabaseWriter)
            writer.add(transactionObserver: counter, extent: .observerLifetime)

            // When they all run at once
            let results = await withTaskGroup(of: (Call, Result<WriteResult?, any Error>).self) { group in
                for call in calls {
                    group.addTask {
                        do {
                            switch call {
                            case .distinct(let row):
                                return (call, .success(try await database.apply(report(#"{"status": "PROCESSING"}"#), to: .row(row))))
                            case .shared(let row):
                                return (call, .success(try await database.apply(report(succeededJSON), to: .row(row))))
                            case .missing(let row):
                                return (call, .success(try await database.recordRejected(forRow: row, httpStatus: 400, reason: "no", rawBody: nil, at: t0)))
                            }
                        } catch {
                            return (call, .failure(error))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }

            // Then every caller got the result of its own write
            var sharedOutcomes: [EventOutcome] = []
            for (call, result) in results {
                switch (call, result) {
                case (.distinct(let row), .success(let written?)):
                    #expect(written.outcome == .applied)
                    #expect(written.generation.id == row)
                    #expect(written.generation.status == .processing)
                    #expect(written.event.generation == row)
                case (.shared(let row), .success(let written?)):
                    #expect(written.generation.id == row)
                    #expect(written.event.generation == row)
                    sharedOutcomes.append(written.outcome)
                case (.missing, .failure(let error)):
                    #expect(error as? StoreError == .generationNotFound)
                default:
                    Issue.record("\(call) ended with \(result)")
                }
            }
            #expect(sharedOutcomes.filter { $0 == .applied }.count == 1)
            #expect(sharedOutcomes.filter { $0 == .duplicate }.count == 20)

            // And the events table holds exactly one row per successful call
            #expect(try await database.count("events") == eventsBefore + calls.count - 1)
            #expect(try await database.events(forRow: shared).filter { $0.source == .callback }.count == 21)
            #expect(try await database.events(forRow: rows[1]).filter { $0.source == .callback }.count == 1)

            // And commits were shared
            let commits = counter.commits
            print("group commit: \(calls.count) writes in \(commits) commits")
            #expect(commits >= 1)
            #expect(commits < calls.count)
        }
    }

    struct Refused: Error {
        let batch: Int
    }

    @Test func aThrowingWriteFailsOnlyItsOwnCaller() async throws {
        try await withTemporaryDatabase { database, _ in
            let counter = CommitCounter()
            let writer = try #require(database.reader as? any DatabaseWriter)
            writer.add(transactionObserver: counter, extent: .observerLifetime)
            try await database.write { db in try db.execute(sql: "CREATE TABLE marks (n INTEGER PRIMARY KEY)") }

            // Every fifth write inserts its mark, then throws; each reports the commit it ran in.
            let results = await withTaskGroup(of: (Int, Result<Int, Refused>).self) { group in
                for n in 0..<100 {
                    group.addTask {
                        do {
                            let batch = try await database.write { db in
                                try db.execute(sql: "INSERT INTO marks (n) VALUES (?)", arguments: [n])
                                if n % 5 == 0 { throw Refused(batch: counter.commits) }
                                return counter.commits
                            }
                            return (n, .success(batch))
                        } catch {
                            return (n, .failure(error as? Refused ?? Refused(batch: -1)))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }

            let marks = Set(try await database.read { db in try Int.fetchAll(db, sql: "SELECT n FROM marks") })
            #expect(marks == Set((0..<100).filter { $0 % 5 != 0 }))
            var failedBatches = Set<Int>(), succeededBatches = Set<Int>()
            for (n, result) in results {
                switch result {
                case .success(let batch):
                    #expect(n % 5 != 0)
                    succeededBatches.insert(batch)
                case .failure(let refused):
                    #expect(n % 5 == 0)
                    #expect(refused.batch >= 0, "write \(n) failed with another error")
                    failedBatches.insert(refused.batch)
                }
            }
            // A commit held both failed and succeeded writes, and the failures took only their own rows with them.
            #expect(!failedBatches.isDisjoint(with: succeededBatches), "no commit mixed failures and successes")
        }
    }

    @Test("a write that ends the transaction itself fails its batch with its own error; no caller is told of a write not kept")
    func aWriteThatEndsTheTransactionFailsItsBatch() async throws {
        try await withTemporaryDatabase { database, _ in
            try await database.write { db in try db.execute(sql: "CREATE TABLE marks (n INTEGER PRIMARY KEY)") }
            // Write 7 rolls the whole transaction back, as SQLite does on a full disk, and throws.
            let results = await withTaskGroup(of: (Int, Result<Void, any Error>).self) { group in
                for n in 0..<20 {
                    group.addTask {
                        do {
                            try await database.write { db in
                                try db.execute(sql: "INSERT INTO marks (n) VALUES (?)", arguments: [n])
                                if n == 7 {
                                    try db.execute(sql: "ROLLBACK")
                                    throw Refused(batch: 7)
                                }
                            }
                            return (n, .success(()))
                        } catch {
                            return (n, .failure(error))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let marks = Set(try await database.read { db in try Int.fetchAll(db, sql: "SELECT n FROM marks") })
            let told = Set(results.filter { if case .success = $0.1 { true } else { false } }.map(\.0))
            #expect(marks == told, "kept \(marks.sorted()), told \(told.sorted())")
            let seven = try #require(results.first { $0.0 == 7 }?.1)
            if case .failure(let error) = seven {
                #expect((error as? Refused)?.batch == 7, "write 7 failed with \(error), not its own error")
            } else {
                Issue.record("write 7 was told it succeeded")
            }
            // The store goes on: a later write commits.
            try await database.write { db in try db.execute(sql: "INSERT INTO marks (n) VALUES (100)") }
        }
    }

    @Test("the drain belongs to whoever runs it: writes wait for it, finishing commits what waits, later writes are refused")
    func drainIsOwned() async throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-drain")
        defer { directory.remove() }
        let database = try AppDatabase.open(path: directory.file("declutterd.sqlite"))
        // Given writes queued while nothing drains
        let queued = Task { try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<20 { group.addTask { try await database.beginRow() } }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        } }
        try await eventually("the writes to queue") { database.groupWriter.waitingCount == 20 }
        #expect(try await database.count("generations") == 0, "nothing is committed without a drain")
        // When the owner runs the drain and then finishes it
        let drain = Task { await database.runWrites() }
        let rows = try await queued.value
        database.finishWrites()
        await drain.value
        // Then every queued write was committed and answered, and a write after the finish is refused
        #expect(Set(rows).count == 20)
        #expect(try await database.count("generations") == 20)
        await #expect(throws: StoreError.closed) { try await database.beginRow() }
        try await database.close()
    }

    @Test("closing the store lets the running drain commit what waits first; a second drain does not start")
    func closeWaitsForTheDrain() async throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-close")
        defer { directory.remove() }
        let database = try AppDatabase.open(path: directory.file("declutterd.sqlite"))
        // Two owners at once: one drains, the other returns at once (two readers of one stream would trap).
        let drain = Task { await database.runWrites() }
        let second = Task { await database.runWrites() }
        let rows = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<50 { group.addTask { try await database.beginRow() } }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        try await database.close()
        await drain.value
        await second.value
        #expect(rows.count == 50)
        try await withDatabase(at: directory.file("declutterd.sqlite")) { reopened async throws in
            #expect(try await reopened.count("generations") == 50)
        }
    }
}
