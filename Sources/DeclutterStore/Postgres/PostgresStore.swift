import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The store on PostgreSQL, shared by any number of declutterd instances: each write is one transaction on a
/// pooled connection (PostgreSQL groups concurrent commits itself), work is claimed with `FOR UPDATE SKIP LOCKED`
/// and a lease, and commits on any instance wake every instance's listeners.
public struct PostgresStore: Store {
    let client: PostgresClient
    let logger: Logger
    /// This instance among those sharing the database: the owner written on its leases.
    public let instance: String
    public let location: StoreLocation
    /// Where it connects (with the password: never printed; its description is redacted).
    let connection: PostgresLocation
    public let commits: CommitSignal
    /// When `quota.low` goes out.
    public var outboxPolicy = OutboxPolicy()
    /// How long claimed work stays this instance's alone (`database.lease`).
    public var leases: Leases
    /// How long one operation may take, waiting for a connection included, before it fails with
    /// `StoreUnavailable` (the server unreachable, say): no caller waits longer for the store.
    public let operationTimeout: Duration
    let life: Life

    /// What ends with the store: the pool's run, the counts of its writes, whether it still takes them.
    final class Life: Sendable {
        let pool: Task<Void, Never>
        let totals = Mutex(WriteTotals())
        let closed = Atomic<Bool>(false)
        /// A commit was made since `followChanges` last told the other instances.
        let committedSinceAnnounced = Atomic<Bool>(false)
        /// Status reports waiting for their batch (`PostgresReportBatch`). Two batches at once (one commits while the
        /// next one is read and decided; more would only make each smaller, and a batch's cost is mostly per
        /// statement), at most 128 reports each: the message ids they hold uncommitted stay well inside
        /// `PostgresMessageIDs.leadingWindow`.
        let reports = WriteBatcher<PostgresReportBatch.Item, WriteResult?>(maximumBatch: 128, maximumInFlight: 2)

        init(pool: Task<Void, Never>) { self.pool = pool }
    }

    /// Connects (at most `maximumConnections` at once), migrates under the migration lock, and returns once the
    /// schema is this binary's. Throws `DatabaseRefusal`, having written nothing, for a database this binary must
    /// not migrate (a newer declutterd's, another application's).
    /// Throws `StoreUnavailable` when no connection comes within `openTimeout`.
    /// `operationTimeout` bounds each operation from the start (the server ends a statement past it too).
    /// Refuses, with `StoreUnavailable`, a server whose `synchronous_commit` is off: a commit it acknowledged could
    /// be lost in a crash, and with it an acknowledged callback.
    public static func open(_ location: PostgresLocation, leases: Leases, maximumConnections: Int = 16, instance: String? = nil,
                            operationTimeout: Duration = .seconds(10), openTimeout: Duration = .seconds(30),
                            logger: Logger = Logger(label: "declutterd.postgres")) async throws -> PostgresStore {
        // The pool's own log (each failed connection attempt, at info) only at warning and above: a server that is
        // down is told once, by what failed because of it.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: location.clientConfiguration(maximumConnections: maximumConnections, statementTimeout: operationTimeout),
                                    backgroundLogger: poolLogger)
        let pool = Task { await client.run() }
        let store = PostgresStore(
            client: client, logger: logger, instance: instance ?? Self.defaultInstance(), location: .postgres(redactedURL: location.redacted),
            connection: location, commits: CommitSignal(), leases: leases, operationTimeout: operationTimeout, life: Life(pool: pool))
        do {
            try await store.bounded(by: openTimeout) {
                let durability = try await client.withConnection { connection in
                    try await connection.value("SHOW synchronous_commit", as: String.self, logger: logger)
                }
                guard durability != "off" else {
                    throw StoreUnavailable(reason: "PostgreSQL at \(location.redacted) runs with synchronous_commit = off: a commit it "
                        + "acknowledged could be lost in a crash; declutterd needs it on (or remote_write, remote_apply, local)")
                }
                try await PostgresMigrator(client: client, location: location.redacted, logger: logger).migrate()
            }
        } catch {
            pool.cancel()
            throw error
        }
        return store
    }

    /// Runs `body`, failing with `StoreUnavailable` (saying why, when a fresh connection says) once `limit` passed,
    /// even if `body` waits on regardless (`Deadline`).
    func bounded<T: Sendable>(by limit: Duration? = nil, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let limit = limit ?? operationTimeout
        do {
            return try await Deadline.run(within: limit, onTimeout: { [connection] in
                StoreUnavailable(reason: await PostgresProbe.why(connection, within: .seconds(2))
                    ?? "PostgreSQL at \(connection.redacted) did not answer within \(limit)")
            }, body)
        } catch let failure as PSQLError {
            // postgres-nio's own description says nothing (on purpose): what failed, without the query's values.
            throw StoreUnavailable(reason: "PostgreSQL at \(connection.redacted): \(PostgresProbe.describe(failure))")
        }
    }

    /// How long work an instance claimed stays its own, so that no other instance (nor this one again) does it
    /// meanwhile: longer than the work can take, since another instance takes it over once the lease ends (its holder
    /// having died, say). The daemon gives `database.lease` to each; nothing here has a default of its own.
    public struct Leases: Sendable, Equatable {
        /// A claimed poll.
        public var poll: Duration
        /// A claimed webhook delivery attempt.
        public var delivery: Duration
        /// A claimed image download.
        public var image: Duration
        /// A SUBMITTING row younger than this may be another instance's submission in flight (its upstream call
        /// with its retries), not an orphan.
        public var submissionInFlight: Duration

        /// `lease` for every kind.
        public init(_ lease: Duration) {
            poll = lease
            delivery = lease
            image = lease
            submissionInFlight = lease
        }
    }

    /// `host:pid:random`: unique among the instances, readable in a lease column.
    static func defaultInstance() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(host):\(getpid()):\(UInt16.random(in: .min ... .max))"
    }

    /// One transaction holding `writes` callers' writes; returns once it is committed.
    func write<T: Sendable>(writes: Int = 1, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        guard !life.closed.load(ordering: .acquiring) else { throw StoreError.closed }
        let result: T = try await bounded { [client, logger] in
            do {
                return try await client.withTransaction(logger: logger) { try await body($0) }
            } catch let failure as PostgresTransactionError {
                // The body's own error (nothing was committed): what callers catch, as with SQLite.
                throw failure.closureError ?? failure
            }
        }
        life.totals.withLock { totals in
            totals.commits += 1
            totals.writes += writes
        }
        return result
    }

    /// One read on a pooled connection (each statement sees what was committed when it began).
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        guard !life.closed.load(ordering: .acquiring) else { throw StoreError.closed }
        return try await bounded { [client] in try await client.withConnection { try await body($0) } }
    }

    public var writeTotals: WriteTotals { life.totals.withLock { $0 } }

    /// 2: a commit is on disk before a caller hears of it (the store refuses to run with `synchronous_commit` off).
    public var synchronous: Int { 2 }

    public func runWrites() async {}

    public func finishWrites() {}

    public func checkWritable(at date: Date) async throws {
        try await write { connection in
            try await connection.run("""
                INSERT INTO heartbeat (instance, at) VALUES (\(instance), \(date))
                ON CONFLICT (instance) DO UPDATE SET at = excluded.at
                """, logger: logger)
        }
    }

    /// Hands back this instance's leases first (its work stopped before the store closes), so that another instance
    /// takes that work at once rather than when the leases end.
    public func close() async throws {
        await handBackLeases()
        try await closeConnections()
    }

    private func handBackLeases() async {
        _ = try? await transaction { [instance] tx in
            try await tx.execute("UPDATE generations SET poll_lease_owner = NULL, poll_lease_until = NULL WHERE poll_lease_owner = \(instance)")
            try await tx.execute("UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = \(instance)")
            try await tx.execute("UPDATE images SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = \(instance)")
        }
    }

    /// Ends every connection without handing anything back: as a process killed with SIGKILL leaves the database
    /// (tests of what the other instances do then).
    func closeConnections() async throws {
        guard !life.closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        life.pool.cancel()
        await life.pool.value
    }
}

extension PostgresConnection {
    /// Runs `query` to its end, its rows read and dropped. postgres-nio's `query` returns once the first answer
    /// (the row description) is in, before the statement has run: a lock taken, a row inserted or an error raised
    /// by a statement whose rows nobody reads would happen later, or be lost (a transaction whose last statement
    /// failed unread answers COMMIT with a silent ROLLBACK).
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }

    /// The rows of `query`, each made into a `T`.
    func all<T>(_ query: PostgresQuery, logger: Logger, _ make: (PostgresRow) throws -> T) async throws -> [T] {
        var values: [T] = []
        for try await row in try await self.query(query, logger: logger) {
            values.append(try make(row))
        }
        return values
    }

    /// The first row of `query`, made into a `T`, or nil.
    func first<T>(_ query: PostgresQuery, logger: Logger, _ make: (PostgresRow) throws -> T) async throws -> T? {
        try await all(query, logger: logger, make).first
    }

    /// The single value of the first row (a count, an id), or nil when there is no row.
    func value<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type = T.self, logger: Logger) async throws -> T? {
        try await first(query, logger: logger) { try $0.decode(T.self) }
    }
}
