import Foundation
import PostgresNIO

// MARK: - Chores on one elected instance

extension PostgresStore {
    /// `pg_try_advisory_lock`'s key for the chores: "declutch" in ASCII.
    static let choresLockKey: Int64 = 0x6465_636C_7574_6368

    /// Runs `chores` while this instance holds the chores lock, a session advisory lock on a connection of its own:
    /// one instance at a time. The others try again every `retry`; when the holder stops, or dies and its
    /// connection with it, the next try takes over. A holder whose connection fails (checked every `retry`) stops
    /// its chores at once, since the lock went with it. Returns when cancelled.
    public func runAsLeader(_ chores: @escaping @Sendable () async -> Void) async {
        await runAsLeader(chores, retry: .seconds(5))
    }

    func runAsLeader(_ chores: @escaping @Sendable () async -> Void, retry: Duration) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    guard try await connection.value("SELECT pg_try_advisory_lock(\(Self.choresLockKey))", as: Bool.self, logger: logger) == true else {
                        return
                    }
                    logger.info("this instance runs the chores (retention)", metadata: ["instance": "\(instance)"])
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { await chores() }
                        group.addTask { [logger] in
                            while !Task.isCancelled {
                                try? await Task.sleep(for: retry)
                                do {
                                    try await connection.query("SELECT 1", logger: logger)
                                } catch {
                                    return  // the lock is gone with the connection
                                }
                            }
                        }
                        await group.next()
                        group.cancelAll()
                    }
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.choresLockKey))", logger: logger)
                }
            } catch {
                logger.debug("chores lock not tried", metadata: ["error": "\(String(describing: error))"])
            }
            try? await Task.sleep(for: retry)
        }
    }
}
