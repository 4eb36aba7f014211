import Foundation
import GRDB
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The store: one SQLite file in WAL mode with `synchronous=FULL`, migrated on open.
/// Writes go through one group-commit writer; reads run concurrently beside it.
public struct AppDatabase: Store {
    let reader: any DatabaseReader
    let groupWriter: GroupCommitWriter
    let writer: any DatabaseWriter
    /// Pokes its listeners after each commit that changed `messages`, `deliveries` or `endpoints`: the delivery
    /// worker and the event streams read then, and sleep otherwise.
    public let commits: CommitSignal
    /// Keeps the observation behind `commits` alive.
    private let outboxObservation: AnyDatabaseCancellable
    /// Taken by the first `close()`: the connections are closed once, and nothing touches them after.
    private let closing = FirstCaller()
    /// `PRAGMA synchronous` on the writer connection, read when the store was opened: 2 (FULL) means a commit is
    /// on disk before any caller hears of it.
    public let synchronous: Int
    /// When `quota.low` goes out.
    public var outboxPolicy = OutboxPolicy()

    /// Opens (creating if needed) the database at `path`, migrates it, and makes every commit durable.
    /// Throws `DatabaseRefusal`, having written nothing, when an existing file is not one this binary may migrate.
    public static func open(path: String, busyTimeout: TimeInterval = 5) throws -> AppDatabase {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Before the pool: opening one turns WAL on, which rewrites the file's header.
        try checkExisting(path: path, busyTimeout: busyTimeout)
        createPrivately(path)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "declutterd"
        let pool = try DatabasePool(path: path, configuration: configuration)
        // DatabasePool turns WAL on and sets synchronous=NORMAL after prepareDatabase has run: undo that on
        // the one writer connection, so that a commit is on disk before any caller hears of it.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return try AppDatabase(pool)
    }

    /// Creates the database file readable by its owner only (0600), before SQLite creates it with the umask's mode:
    /// it holds webhook secrets. SQLite gives its -wal and -shm files the main file's mode. An existing file keeps
    /// the mode it has (the operator's choice).
    /// When it cannot be created here, the pool's own open says why.
    static func createPrivately(_ path: String) {
        let descriptor = Glibc.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Reads the file at `path`, if there is one, on a read-only connection, and throws `DatabaseRefusal` when
    /// the store must not migrate it: a newer declutterd's, another application's, or not SQLite. Creates
    /// nothing when there is no file (for `check-config`); other failures are GRDB's `DatabaseError`.
    public static func checkExisting(path: String, busyTimeout: TimeInterval = 5) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "declutterd.check"
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            try queue.read { try Migrations.check($0, path: path) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw DatabaseRefusal.notSQLite(path: path)
        }
    }

    /// A database on any GRDB writer (tests may pass an in-memory `DatabaseQueue`). Throws `DatabaseRefusal`,
    /// having migrated nothing, when it is not one this binary may migrate.
    public init(_ writer: any DatabaseWriter) throws {
        try writer.read { try Migrations.check($0, path: writer.path) }
        try Migrations.migrator.migrate(writer)
        self.writer = writer
        self.reader = writer
        let commits = CommitSignal()
        self.commits = commits
        self.groupWriter = GroupCommitWriter(writer: writer)
        self.synchronous = try writer.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } ?? -1
        // Called on the writer once such a commit is done (durable: synchronous=FULL), before any later write.
        outboxObservation = DatabaseRegionObservation(tracking: Table("messages"), Table("deliveries"), Table("endpoints"), Table("listing_photos"))
            .start(in: writer, onError: { _ in }, onChange: { _ in commits.poke() })
    }

    /// A fresh in-memory database, for tests of logic that needs no file.
    public static func inMemory() throws -> AppDatabase {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        return try AppDatabase(DatabaseQueue(configuration: configuration))
    }

    /// Commits the group-commit writes as they come, until `finishWrites()` (or `close()`); its owner runs it
    /// in a structured task (the daemon: `StoreWriterService`).
    public func runWrites() async {
        await groupWriter.run()
    }

    /// Refuses new writes; `runWrites()` commits those already waiting, then returns.
    public func finishWrites() {
        groupWriter.finish()
    }

    /// Runs `body` with the writes committed beside it, then finishes them and waits until they are done:
    /// for a store used outside the daemon (tools, tests).
    public func withWrites<T: Sendable>(_ body: (AppDatabase) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await runWrites() }
            defer { finishWrites() }
            return try await body(self)
        }
    }

    /// Runs `body` in a group commit; returns once its commit is durable.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await groupWriter.write(body)
    }

    /// One transaction on the writer itself, outside the group commit: for start-up chores that run before it.
    func writeAtStart<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writer.write(body)
    }

    /// Reads a consistent snapshot.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await reader.read(body)
    }

    /// The value of a pragma as the writer connection sees it (`synchronous`, `journal_mode`, …).
    public func writerPragma(_ name: String) async throws -> String? {
        try await writer.writeWithoutTransaction { db in
            try String.fetchOne(db, sql: "PRAGMA \(name)")
        }
    }

    public var location: StoreLocation { .sqlite(path: writer.path) }

    /// How the writes were grouped so far: commits made and the writes they held.
    public var writeTotals: WriteTotals { groupWriter.totals }

    /// One process owns the file: nothing changes it that `commits` does not already tell of.
    public func followChanges(generationChanged: @escaping @Sendable (Int64) -> Void) async {}

    /// The one process that owns the file runs them.
    public func runAsLeader(_ chores: @escaping @Sendable () async -> Void) async {
        await chores()
    }

    /// Proves the store takes a durable write: used by readiness and the watchdog.
    public func checkWritable(at date: Date) async throws {
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO heartbeat (id, at) VALUES (1, ?)", arguments: [StoreFormat.timestamp(date)])
        }
    }

    /// Refuses new writes, waits for the group commit to commit those already waiting (when it runs), merges the
    /// WAL into the main file, then ends every connection; later calls (on any copy of the store) do nothing more.
    public func close() async throws {
        finishWrites()
        await groupWriter.stopped()
        guard closing.claim() else { return }
        if let pool = writer as? DatabasePool {
            Self.checkpoint(pool)
            try pool.close()
        }
        if let queue = writer as? DatabaseQueue { try queue.close() }
    }

    /// Everything into the main file and the WAL emptied, so that after a clean stop the `.sqlite` file alone is
    /// the whole database. SQLite would do it at the last close, but a pool's last connections are its read-only
    /// readers, which cannot. Only before the pool is closed: a closed GRDB connection has no SQLite handle left.
    /// One that cannot complete (another process reads the WAL) loses nothing: the WAL is replayed at the next open.
    private static func checkpoint(_ pool: DatabasePool) {
        _ = try? pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
    }
}

/// True for the first caller of `claim()` only, whichever copy of its owner asks.
private final class FirstCaller: Sendable {
    private let taken = Mutex(false)

    func claim() -> Bool {
        taken.withLock { taken in
            defer { taken = true }
            return !taken
        }
    }
}
