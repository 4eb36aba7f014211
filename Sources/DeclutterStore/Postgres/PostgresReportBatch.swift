import Foundation
import PostgresNIO
import Synchronization

/// PostgreSQL's group commit for status reports: the reports that arrive while a batch commits wait for the next
/// one, which reads every generation they name in one statement, decides each report with the shared rules
/// (`ReportPlan`) and writes them with one statement per table, in one transaction. No caller hears of its result
/// before that COMMIT (durable: `synchronous_commit` on). A batch that fails on the data (a constraint, a deadlock)
/// is split in halves and each tried again, so one bad report fails alone; a server that does not answer fails them
/// all at once.
struct PostgresReportBatch {
    struct Item: Sendable {
        let report: StatusReport
        let locator: GenerationLocator
    }

    let store: PostgresStore

    func apply(_ items: [Item]) async -> [Result<WriteResult?, any Error>] {
        do {
            return try await commit(items).map { .success($0) }
        } catch is DataFailure where items.count > 1 {
            let half = items.count / 2
            return await apply(Array(items[..<half])) + apply(Array(items[half...]))
        } catch let failure as DataFailure {
            return [.failure(StoreUnavailable(reason: "PostgreSQL refused the write: \(PostgresProbe.describe(failure.error))"))]
        } catch {
            return items.map { _ in .failure(error) }
        }
    }

    /// A server error about this batch's data, rather than about the server: worth trying its halves apart.
    struct DataFailure: Error {
        let error: PSQLError
    }

    private func commit(_ items: [Item]) async throws -> [WriteResult?] {
        try await store.transaction(writes: items.count) { [instance = store.instance] tx in
            do {
                return try await Self.plan(items, in: tx, instance: instance)
            } catch let error as PSQLError where Self.concernsData(error) {
                throw DataFailure(error: error)
            }
        }
    }

    private static func plan(_ items: [Item], in tx: PostgresTransaction, instance: String) async throws -> [WriteResult?] {
        let generations = try await tx.generations(items.map(\.locator))
        let limits = items.compactMap { $0.report.retention?.rejectedEvents }
        let kept = try await tx.unappliedCallbacks(of: limits.isEmpty ? [] : generations.compactMap(\.id), upTo: limits.max() ?? 0)
        var plan = ReportPlan()
        for item in items {
            let found = generations.first { item.locator.matches($0) }
            try plan.add(item.report, about: found) { row, limit in min(kept[row] ?? 0, limit) }
        }
        return plan.results(eventIDs: try await tx.carryOut(plan, instance: instance))
    }

    /// Integrity constraints (23), bad data (22) and transaction conflicts (40: a deadlock, a serialization failure).
    private static func concernsData(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state.hasPrefix("23") || state.hasPrefix("22") || state.hasPrefix("40")
    }
}

extension GenerationLocator {
    func matches(_ generation: GenerationRecord) -> Bool {
        switch self {
        case .row(let row): generation.id == row
        case .callbackTokenHash(let hash): generation.callbackTokenHash == hash
        case .generationID(let id): generation.generationID == id
        }
    }
}

/// Callers' writes gathered into batches: a caller queues its item and waits; while fewer than `maximumInFlight`
/// batches run, a new one starts (on a task of its own, so a caller's cancellation never cuts the others' writes)
/// and takes up to `maximumBatch` waiting items, then the next ones, until none wait.
final class WriteBatcher<Item: Sendable, Output: Sendable>: Sendable {
    private struct Waiting {
        let item: Item
        let continuation: CheckedContinuation<Output, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var running = 0
    }

    private let state = Mutex(State())
    let maximumBatch: Int
    let maximumInFlight: Int

    init(maximumBatch: Int, maximumInFlight: Int) {
        self.maximumBatch = maximumBatch
        self.maximumInFlight = maximumInFlight
    }

    /// Queues `item`; `run` carries out a batch and returns one result per item, in order.
    func submit(_ item: Item, run: @escaping @Sendable ([Item]) async -> [Result<Output, any Error>]) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let starts = state.withLock { state in
                state.waiting.append(Waiting(item: item, continuation: continuation))
                guard state.running < maximumInFlight else { return false }
                state.running += 1
                return true
            }
            if starts { Task { await self.drain(run) } }
        }
    }

    private func drain(_ run: @Sendable ([Item]) async -> [Result<Output, any Error>]) async {
        while let batch = next() {
            let results = await run(batch.map(\.item))
            for (index, waiting) in batch.enumerated() {
                waiting.continuation.resume(with: index < results.count ? results[index] : .failure(StoreError.closed))
            }
        }
    }

    /// The next batch, or nil (this runner ends) when nothing waits.
    private func next() -> [Waiting]? {
        state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            let batch = Array(state.waiting.prefix(maximumBatch))
            state.waiting.removeFirst(batch.count)
            return batch
        }
    }
}
