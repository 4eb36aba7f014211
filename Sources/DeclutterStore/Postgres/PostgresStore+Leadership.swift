import Foundation
import PostgresNIO

// MARK: - Chores on one elected instance

extension PostgresStore {
    /// `pg_try_advisory_lock`'s keys for the chores: "dcho" in ASCII, and the schema (advisory locks belong to the
    /// whole database: each deployment in a schema of its own elects its own chores instance).
    static let choresLockKey = "\(0x6463_686F as Int32), hashtext(current_schema())"

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
                try await withDedicatedConnection { connection in
                    guard try await connection.value("SELECT pg_try_advisory_lock(\(unescaped: Self.choresLockKey))", as: Bool.self, logger: logger) == true else {
                        return
                    }
                    logger.info("this instance runs the chores (retention)", metadata: ["instance": "\(instance)"])
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { await chores() }
                        group.addTask { await keepAlive(connection, every: retry) }  // returns once the lock is gone with it
                        await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                logger.debug("chores lock not tried", metadata: ["error": "\(PostgresProbe.describe(error))"])
            }
            try? await Task.sleep(for: retry)
        }
    }

    /// Returns when `connection` stops answering a `SELECT 1` within `pause`, asked every `pause` (a server that
    /// restarted leaves a connection that may never answer again, nor fail), or when cancelled.
    func keepAlive(_ connection: PostgresConnection, every pause: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: pause)
            do {
                try await Deadline.run(within: pause, onTimeout: { StoreUnavailable(reason: "no answer on a dedicated connection") }) { [logger] in
                    try await connection.run("SELECT 1", logger: logger)
                }
            } catch {
                return
            }
        }
    }

    /// Runs `body` on a connection of its own, outside the pool (a session lock, a LISTEN live as long as it does),
    /// closed afterwards, and at once when the task is cancelled, so that nothing waits on it past a stop.
    func withDedicatedConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(
            configuration: self.connection.connectionConfiguration(timeout: operationTimeout), id: Int.random(in: 1 ... .max), logger: logger)
        do {
            let result = try await withTaskCancellationHandler {
                try await body(connection)
            } onCancel: {
                connection.close().whenComplete { _ in }
            }
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
