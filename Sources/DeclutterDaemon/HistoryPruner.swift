import DeclutterAPI
import DeclutterStore
import Foundation
import Logging
import ServiceLifecycle

/// Keeps `events` and `messages` (with their deliveries and attempts) within `retention.*`: a round at start and
/// then every `interval`, each a series of small deletes, so the write lock is only ever held for one of them
/// and the callbacks' group commits go on in between.
struct HistoryPruner: Service {
    let database: AppDatabase
    let retention: HistoryRetention
    let logger: Logger
    let clock: DaemonClock
    var interval: Duration = .seconds(3600)
    /// Rows deleted by one write.
    var batch = 500

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let pruned = try await prune(at: clock.date())
                    if pruned.events + pruned.messages > 0 {
                        logger.info("history pruned", metadata: ["events": "\(pruned.events)", "messages": "\(pruned.messages)"])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("pruning history failed; next round in \(DurationText.format(interval))", metadata: ["error": "\(error)"])
                }
                try await clock.sleep(for: interval)
            }
        }
    }

    /// One round: everything past the retention at `now`, a batch at a time.
    func prune(at now: Date) async throws -> (events: Int, messages: Int) {
        let events = try await drain { try await database.pruneEvents(receivedBefore: now.addingTimeInterval(-retention.events.seconds), batch: batch) }
        let cutoff = now.addingTimeInterval(-retention.messages.seconds)
        // A message's deletion takes its deliveries and their attempts with it: those go first, in batches of
        // their own, so that no delete of a batch of messages cascades over thousands of rows.
        _ = try await drain { try await database.pruneAttempts(madeBefore: cutoff, batch: batch) }
        _ = try await drain { try await database.pruneDeliveries(createdBefore: cutoff, batch: batch) }
        let messages = try await drain { try await database.pruneMessages(createdBefore: cutoff, batch: batch) }
        return (events, messages)
    }

    /// Runs `step` until it deletes less than a full batch; returns the total.
    private func drain(_ step: () async throws -> Int) async throws -> Int {
        var total = 0
        while true {
            try Task.checkCancellation()
            let deleted = try await step()
            total += deleted
            if deleted < batch { return total }
        }
    }
}
