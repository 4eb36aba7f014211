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
    public let commits: CommitSignal
    /// When `quota.low` goes out.
    public var outboxPolicy = OutboxPolicy()
    /// How long a claimed poll is this instance's alone: longer than a poll can take, since another instance may
    /// poll the generation once it ends (its holder having died, say).
    public var pollLease: Duration = .seconds(300)
    public var deliveryLease: Duration = .seconds(300)
    private let life: Life

    /// What ends with the store: the pool's run, the counts of its writes, whether it still takes them.
    final class Life: Sendable {
        let pool: Task<Void, Never>
        let totals = Mutex(WriteTotals())
        let closed = Atomic<Bool>(false)

        init(pool: Task<Void, Never>) { self.pool = pool }
    }

    /// Connects (at most `maximumConnections` at once), migrates under the migration lock, and returns once the
    /// schema is this binary's. Throws `DatabaseRefusal`, having written nothing, for a database this binary must
    /// not migrate (a newer declutterd's, another application's).
    public static func open(_ location: PostgresLocation, maximumConnections: Int = 16, instance: String? = nil,
                            logger: Logger = Logger(label: "declutterd.postgres")) async throws -> PostgresStore {
        let client = PostgresClient(configuration: location.clientConfiguration(maximumConnections: maximumConnections),
                                    backgroundLogger: logger)
        let pool = Task { await client.run() }
        let store = PostgresStore(
            client: client, logger: logger, instance: instance ?? Self.defaultInstance(), location: .postgres(redactedURL: location.redacted),
            commits: CommitSignal(), life: Life(pool: pool))
        do {
            try await PostgresMigrator(client: client, location: location.redacted, logger: logger).migrate()
        } catch {
            pool.cancel()
            throw error
        }
        return store
    }

    /// `host:pid:random`: unique among the instances, readable in a lease column.
    static func defaultInstance() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(host):\(getpid()):\(UInt16.random(in: .min ... .max))"
    }

    /// One transaction; returns once it is committed (durable: `synchronous_commit` on).
    func write<T: Sendable>(_ body: (PostgresConnection) async throws -> sending T) async throws -> T {
        guard !life.closed.load(ordering: .acquiring) else { throw StoreError.closed }
        let result: T
        do {
            result = try await client.withTransaction(logger: logger, body)
        } catch let failure as PostgresTransactionError {
            // The body's own error (nothing was committed): what callers catch, as with SQLite.
            throw failure.closureError ?? failure
        }
        life.totals.withLock { totals in
            totals.commits += 1
            totals.writes += 1
        }
        return result
    }

    /// One read on a pooled connection (each statement sees what was committed when it began).
    func read<T: Sendable>(_ body: (PostgresConnection) async throws -> sending T) async throws -> T {
        guard !life.closed.load(ordering: .acquiring) else { throw StoreError.closed }
        return try await client.withConnection(body)
    }

    public var writeTotals: WriteTotals { life.totals.withLock { $0 } }

    /// 2: a commit is on disk before a caller hears of it (the store refuses to run with `synchronous_commit` off).
    public var synchronous: Int { 2 }

    public func runWrites() async {}

    public func finishWrites() {}

    public func checkWritable(at date: Date) async throws {
        try await write { connection in
            try await connection.query("""
                INSERT INTO heartbeat (instance, at) VALUES (\(instance), \(date))
                ON CONFLICT (instance) DO UPDATE SET at = excluded.at
                """, logger: logger)
        }
    }

    public func close() async throws {
        guard !life.closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        life.pool.cancel()
        await life.pool.value
    }
}

extension PostgresConnection {
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
