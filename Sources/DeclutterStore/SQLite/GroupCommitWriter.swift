import Foundation
import GRDB
import Synchronization

/// Commits the group-commit writer made since the store was opened, and the writes they held: their ratio is
/// how well the writes are grouped.
public struct WriteTotals: Sendable, Equatable {
    public var commits = 0
    public var writes = 0

    public init(commits: Int = 0, writes: Int = 0) {
        self.commits = commits
        self.writes = writes
    }
}

/// Runs writes from many callers through one writer, grouping whatever is waiting into one transaction
/// (one fsync). Each write runs in its own savepoint, so one that throws leaves the others intact;
/// no caller hears of success before the commit that holds its write is durable.
///
/// The commits happen while `run()` runs, which its owner runs in a structured task (the daemon's ServiceGroup,
/// a test's task group), on a thread `run()` starts and waits for: neither outlives it. `finish()` refuses new
/// writes and lets `run()` commit what waits, then return.
final class GroupCommitWriter: Sendable {
    private struct Pending: Sendable {
        /// Runs the write; returns the closure that hands its result to the waiting caller.
        let perform: @Sendable (Database) throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private struct Queue {
        var waiting: [Pending] = []
        var finished = false
        var drain = Drain.notStarted
    }

    private enum Drain {
        case notStarted
        case running(waiters: [CheckedContinuation<Void, Never>])
        case ended
    }

    private let writer: any DatabaseWriter
    private let queue = Mutex(Queue())
    private let counted = Mutex(WriteTotals())
    private let maximumBatch: Int
    /// Signalled once per write queued, and by `finish()`: the commit thread waits on it.
    private let wake = DispatchSemaphore(value: 0)

    init(writer: any DatabaseWriter, maximumBatch: Int = 1024) {
        self.writer = writer
        self.maximumBatch = maximumBatch
    }

    /// Runs `body` inside a group commit and returns its result once that commit is durable.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let pending = Pending(
                perform: { db in
                    let value = try body(db)
                    return { continuation.resume(returning: value) }
                },
                fail: { continuation.resume(throwing: $0) })
            let accepted = queue.withLock { queue in
                guard !queue.finished else { return false }
                queue.waiting.append(pending)
                return true
            }
            if accepted { wake.signal() } else { pending.fail(StoreError.closed) }
        }
    }

    /// Commits batches as writes arrive, until `finish()` or cancellation; then commits what still waits
    /// (or fails it, if the commit cannot be made) and returns. Runs once: a second call returns at once.
    ///
    /// The commits run on a thread of their own, not in a task: a task would wait its turn on Swift's pool behind
    /// every request handler, and under load each commit came late by that much (the writer sat mostly idle
    /// while callbacks queued for it). The thread sleeps while no write waits.
    func run() async {
        let first = queue.withLock { queue in
            guard case .notStarted = queue.drain else { return false }
            queue.drain = .running(waiters: [])
            return true
        }
        guard first else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (ended: CheckedContinuation<Void, Never>) in
                let thread = Thread { [self] in
                    commitUntilFinished()
                    ended.resume()
                }
                thread.name = "store-writer"  // at most 15 bytes, or Linux keeps the name of the thread that made it
                thread.start()
            }
        } onCancel: {
            finish()
        }
        let waiters = queue.withLock { queue -> [CheckedContinuation<Void, Never>] in
            defer { queue.drain = .ended }
            if case .running(let waiters) = queue.drain { return waiters }
            return []
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The commit thread: commits what waits each time it is woken, until `finish()`; then what still waits.
    private func commitUntilFinished() {
        while true {
            wake.wait()
            while let batch = takeBatch() {
                commit(batch)
            }
            if queue.withLock({ $0.finished }) { break }
        }
        // Finished: nothing new joins the queue from here, and what waits gets an answer.
        while let batch = takeBatch() {
            commit(batch)
        }
    }

    /// Returns once `run()` has returned (at once if it never started).
    func stopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = queue.withLock { queue -> Bool in
                guard case .running(let waiters) = queue.drain else { return true }
                queue.drain = .running(waiters: waiters + [continuation])
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Commits made so far, and the writes they held.
    var totals: WriteTotals { counted.withLock { $0 } }

    /// Writes waiting for a commit now.
    var waitingCount: Int { queue.withLock { $0.waiting.count } }

    /// No new writes: `run()` commits those already waiting, then returns.
    func finish() {
        queue.withLock { $0.finished = true }
        wake.signal()
    }

    /// Runs `body` in a savepoint, undone if it throws. The three statements are compiled once per connection
    /// (GRDB's `inSavepoint` compiles them at each call): every write of every batch pays for them.
    private static func inSavepoint<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "SAVEPOINT write").execute()
        do {
            let value = try body()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT write").execute()
            return value
        } catch let writeError {
            do {
                try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT write").execute()
                try db.cachedStatement(sql: "RELEASE SAVEPOINT write").execute()
            } catch {
                // SQLite rolled the whole transaction back (a full disk, say): no savepoint is left to return to.
                throw TransactionLost(cause: writeError)
            }
            throw writeError
        }
    }

    /// A write failed in a way that ended the transaction itself; `cause` is the write's own error.
    private struct TransactionLost: Error {
        let cause: any Error
    }

    private func takeBatch() -> [Pending]? {
        queue.withLock { queue in
            guard !queue.waiting.isEmpty else { return nil }
            let count = min(queue.waiting.count, maximumBatch)
            let batch = Array(queue.waiting.prefix(count))
            queue.waiting.removeFirst(count)
            return batch
        }
    }

    private func commit(_ batch: [Pending]) {
        do {
            let (deliveries, failures) = try writer.writeWithoutTransaction { db in
                var deliveries: [@Sendable () -> Void] = []
                var failures: [(Pending, any Error)] = []
                try db.inTransaction {
                    for pending in batch {
                        do {
                            deliveries.append(try Self.inSavepoint(db) { try pending.perform(db) })
                        } catch let lost as TransactionLost {
                            throw lost.cause  // out of the transaction: every write of the batch fails with it
                        } catch {
                            failures.append((pending, error))
                        }
                    }
                    return .commit
                }
                return (deliveries, failures)
            }
            counted.withLock { totals in
                totals.commits += 1
                totals.writes += batch.count
            }
            for deliver in deliveries { deliver() }
            for (pending, error) in failures { pending.fail(error) }
        } catch {
            for pending in batch { pending.fail(error) }
        }
    }
}
