import DeclutterAPI
import DeclutterStore
import Foundation
import Logging
import ServiceLifecycle

/// Keeps `events`, `messages` (with their deliveries and attempts) and, when `retention.images` is set, the
/// archive's files within `retention.*`: a round at start and
/// then every `interval`, each a series of small deletes, so the write lock is only ever held for one of them
/// and the callbacks' group commits go on in between.
struct HistoryPruner: Service {
    let database: any Store
    let retention: HistoryRetention
    /// Where the files `retention.images` prunes are.
    var archive: ArchiveDirectory?
    let logger: Logger
    let clock: DaemonClock
    var interval: Duration = .seconds(3600)
    /// With instances sharing the store (PostgreSQL): submissions left without an answer by an instance that died
    /// get their give-up date (`polling.give_up_after`) each round, as one instance's own are at its start.
    var orphansGiveUpAfter: Duration?
    /// Rows deleted by one write.
    var batch = 500

    func run() async throws {
        await cancelWhenGracefulShutdown {
            // Several instances on one PostgreSQL database: one of them prunes, elected by the store.
            await database.runAsLeader { await pruneRounds() }
        }
    }

    private func pruneRounds() async {
        do {
            while !Task.isCancelled {
                do {
                    let pruned = try await prune(at: clock.date())
                    if pruned.events + pruned.messages + pruned.files > 0 {
                        logger.info("history pruned", metadata: [
                            "events": "\(pruned.events)", "messages": "\(pruned.messages)", "files": "\(pruned.files)"])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("pruning history failed; next round in \(DurationText.format(interval))", metadata: ["error": "\(error)"])
                }
                try await clock.sleep(for: interval)
            }
        } catch {
            return  // cancelled while sleeping
        }
    }

    /// One round: everything past the retention at `now`, a batch at a time.
    func prune(at now: Date) async throws -> (events: Int, messages: Int, files: Int) {
        if let orphansGiveUpAfter, try await database.scheduleOrphanedSubmissions(giveUpAfter: orphansGiveUpAfter, at: now) > 0 {
            logger.warning("submissions left unanswered by an instance that stopped now have a give-up date")
        }
        let events = try await drain { try await database.pruneEvents(receivedBefore: now.addingTimeInterval(-retention.events.seconds), batch: batch) }
        let cutoff = now.addingTimeInterval(-retention.messages.seconds)
        // A message's deletion takes its deliveries and their attempts with it: those go first, in batches of
        // their own, so that no delete of a batch of messages cascades over thousands of rows.
        _ = try await drain { try await database.pruneAttempts(madeBefore: cutoff, batch: batch) }
        _ = try await drain { try await database.pruneDeliveries(createdBefore: cutoff, batch: batch) }
        let messages = try await drain { try await database.pruneMessages(createdBefore: cutoff, batch: batch) }
        return (events, messages, try await pruneFiles(at: now))
    }

    /// The archived images and uploads of generations that ended before `retention.images`: rows marked pruned,
    /// then the files no kept row refers to deleted. Returns how many files went.
    private func pruneFiles(at now: Date) async throws -> Int {
        guard let keep = retention.images, let archive else { return 0 }
        var files = 0
        while true {
            try Task.checkCancellation()
            let pruned = try await database.pruneImages(endedBefore: now.addingTimeInterval(-keep.seconds), batch: batch, at: now)
            for sha256 in pruned.unreferenced where try await !database.isFileKept(sha256: sha256) {
                do {
                    try archive.remove(sha256: sha256)
                    files += 1
                } catch {
                    logger.warning("an archived file could not be deleted", metadata: ["sha256": "\(sha256)", "error": "\(error)"])
                }
                // The same bytes downloaded again in the instant before the deletion: download them once more.
                if try await database.isFileKept(sha256: sha256) {
                    let requeued = try await database.requeueImages(sha256: sha256, at: now)
                    logger.notice("a pruned file was wanted again; its images are downloaded anew", metadata: ["sha256": "\(sha256)", "images": "\(requeued)"])
                }
            }
            if pruned.rows == 0 { return files }
        }
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
