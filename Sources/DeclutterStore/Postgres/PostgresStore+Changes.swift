import Foundation
import Logging
import PostgresNIO
import Synchronization

// MARK: - Hearing of commits made by other instances: LISTEN/NOTIFY, with a periodic look as fallback

extension PostgresStore {
    /// The channel every instance listens on.
    static let changesChannel = "declutterd_changes"

    /// Runs until cancelled. Tells the other instances of this instance's commits: one `NOTIFY` after a burst of
    /// them, at most every `coalescing` (a NOTIFY in every transaction would make all their commits take turns).
    /// Hears theirs with `LISTEN` on a connection of its own: then, and every `fallback` in case a notification
    /// was lost with a connection, it pokes `commits` and calls `generationChanged` for each generation a new
    /// message is about (`?wait=` on this instance hears of a change made on another).
    public func followChanges(generationChanged: @escaping @Sendable (Int64) -> Void) async {
        await followChanges(generationChanged: generationChanged, coalescing: .milliseconds(10), fallback: .seconds(5))
    }

    func followChanges(generationChanged: @escaping @Sendable (Int64) -> Void, coalescing: Duration, fallback: Duration) async {
        let feed = MessageFeed(start: (try? await latestMessageSequence()) ?? 0)
        await withDiscardingTaskGroup { group in
            group.addTask { await announceCommits(every: coalescing) }
            group.addTask { await listen(feed: feed, generationChanged: generationChanged) }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: fallback)
                    await look(feed: feed, generationChanged: generationChanged)
                }
            }
        }
    }

    /// Sends one NOTIFY when commits were made since the last, until cancelled.
    private func announceCommits(every pause: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: pause)
            guard life.committedSinceAnnounced.exchange(false, ordering: .acquiringAndReleasing) else { continue }
            do {
                _ = try await bounded { [client, instance, logger] in
                    try await client.withConnection { try await $0.run("SELECT pg_notify(\(Self.changesChannel), \(instance))", logger: logger) }
                }
            } catch {
                life.committedSinceAnnounced.store(true, ordering: .releasing)
                logger.debug("commit not announced", metadata: ["error": "\(PostgresProbe.describe(error))"])
            }
        }
    }

    /// LISTENs, reconnecting a second after a lost connection, until cancelled.
    private func listen(feed: MessageFeed, generationChanged: @escaping @Sendable (Int64) -> Void) async {
        while !Task.isCancelled {
            do {
                try await withDedicatedConnection { connection in
                    try await connection.listen(on: Self.changesChannel) { notifications in
                        // Anything committed while nobody listened is looked at once listening.
                        await look(feed: feed, generationChanged: generationChanged)
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask {
                                for try await notification in notifications where notification.payload != instance {
                                    await look(feed: feed, generationChanged: generationChanged)
                                }
                            }
                            // A connection the server dropped may never end the sequence: listening ends with it.
                            group.addTask { await keepAlive(connection, every: .seconds(5)) }
                            try await group.next()
                            group.cancelAll()
                        }
                    }
                }
            } catch {
                logger.debug("listening for other instances' commits failed; listening again", metadata: ["error": "\(PostgresProbe.describe(error))"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Pokes `commits`, and tells `generationChanged` of every generation the messages since the last look are about.
    /// Reads up to the first message still being committed (`PostgresMessageIDs`), so none is passed over.
    private func look(feed: MessageFeed, generationChanged: @Sendable (Int64) -> Void) async {
        commits.poke()
        let after = feed.cursor
        guard let rows = try? await read({ [logger] connection in
            var query: PostgresQuery = "SELECT id, generation FROM messages WHERE id > \(after)"
            if let horizon = try await PostgresMessageIDs.horizon(after: after, on: connection, logger: logger) {
                query.append(" AND id < ", horizon)
            }
            query.append(" ORDER BY id LIMIT ", 1000)
            return try await connection.all(query, logger: logger) { try $0.decode((Int64, Int64?).self) }
        }) else { return }
        feed.advance(to: rows.last?.0 ?? after)
        for case (_, let generation?) in rows { generationChanged(generation) }
    }
}

/// Where `followChanges` has read the messages up to.
final class MessageFeed: Sendable {
    private let read: Mutex<Int64>

    init(start: Int64) { read = Mutex(start) }

    var cursor: Int64 { read.withLock { $0 } }

    /// Never backwards: two looks may overlap.
    func advance(to id: Int64) { read.withLock { $0 = max($0, id) } }
}
