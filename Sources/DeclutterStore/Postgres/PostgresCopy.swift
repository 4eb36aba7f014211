import Crypto
import Foundation
import GRDB
import Logging
import NIOCore
import PostgresNIO

/// `declutterd store copy`: everything a SQLite store holds, into an empty PostgreSQL database, in one transaction.
///
/// Each table's rows go over as they are, ids included (the callback tokens' hashes, the message sequence, the
/// endpoints' secrets), a few thousand per statement; archived images and uploaded inputs go from the archive
/// directory into `files`. Before the COMMIT, each table is counted on both sides and a checksum of its rows
/// compared, and every file's content hashed again; any difference rolls the whole copy back. A copy that fails
/// leaves the target as it found it (migrated, empty), so it can simply be run again.
public struct PostgresCopy: Sendable {
    /// The tables in the order their references need (but for `generations` and `listing_photos`, which refer to each
    /// other: PostgreSQL checks those two references at the COMMIT); `heartbeat` (each instance writes its own), `dashboard_sessions` (a login is made again on the new store) and `tallies`
    /// (SQLite's own counts; PostgreSQL counts on demand) stay behind.
    static let tables: [Table] = [
        Table("projects", key: "id"), Table("generations"), Table("events"), Table("quota_history"),
        Table("idempotency_keys", key: "key"), Table("messages"), Table("endpoints"), Table("deliveries"),
        Table("delivery_attempts"), Table("images"), Table("uploads"), Table("listings"), Table("listing_photos"),
        Table("api_keys"),
    ]

    struct Table: Sendable {
        let name: String
        /// What orders the rows on both sides (text compared byte by byte: PostgreSQL's `COLLATE "C"`).
        let key: String
        init(_ name: String, key: String = "id") {
            self.name = name
            self.key = key
        }
    }

    /// What was copied of one table (or of the files).
    public struct Copied: Sendable, Equatable {
        public let table: String
        public let rows: Int
        /// What went over the wire for them (the JSON of the rows, the files' bytes).
        public let bytes: Int
        /// SHA-256 (hex) of the rows as both sides read them back.
        public let checksum: String
    }

    public let source: String
    /// Where the archived file with a given SHA-256 is.
    public let fileAt: @Sendable (String) -> String
    public let target: PostgresLocation
    /// The target store's leases (`database.lease`): the copy claims no work, but the store it opens is a whole one.
    public let leases: PostgresStore.Leases
    public let logger: Logger
    /// Rows per statement.
    var chunk = 2000

    public init(source: String, fileAt: @escaping @Sendable (String) -> String, target: PostgresLocation, leases: PostgresStore.Leases,
                logger: Logger) {
        self.source = source
        self.fileAt = fileAt
        self.target = target
        self.leases = leases
        self.logger = logger
    }

    /// Copies, verifies, commits; returns what it copied, table by table, then the files.
    public func run() async throws -> [Copied] {
        let database = try openSource()
        defer { try? database.close() }
        let store = try await PostgresStore.open(target, leases: leases, maximumConnections: 2, instance: "store-copy", operationTimeout: .seconds(3600),
                                                 logger: logger)
        do {
            let copied = try await store.write { connection in
                try await refuseUnlessEmpty(connection)
                var copied: [Copied] = []
                for table in Self.tables {
                    copied.append(try await copy(table, from: database, to: connection))
                }
                copied.append(try await copyFiles(from: database, to: connection))
                try await continueSequences(from: database, on: connection)
                return copied
            }
            try await store.closeConnections()
            return copied
        } catch {
            try? await store.closeConnections()
            throw error
        }
    }

    /// The source, read-only, and only as this binary's migrations left it.
    private func openSource() throws -> DatabaseQueue {
        guard FileManager.default.fileExists(atPath: source) else { throw CopyRefusal.sourceMissing(source) }
        var configuration = Configuration()
        configuration.readonly = true
        let database = try DatabaseQueue(path: source, configuration: configuration)
        try database.read { db in
            try Migrations.check(db, path: source)
            guard try Migrations.migrator.hasCompletedMigrations(db) else { throw CopyRefusal.sourceNotMigrated(source) }
        }
        return database
    }

    private func refuseUnlessEmpty(_ connection: PostgresConnection) async throws {
        for table in Self.tables + [Table("files", key: "sha256")] {
            let rows = try await connection.value(PostgresQuery(unsafeSQL: "SELECT count(*) FROM (SELECT 1 FROM \(table.name) LIMIT 1) AS probe"),
                                                 as: Int.self, logger: logger) ?? 0
            if rows > 0 { throw CopyRefusal.targetNotEmpty(target.redacted, table: table.name) }
        }
    }

    // MARK: Rows

    private func copy(_ table: Table, from database: DatabaseQueue, to connection: PostgresConnection) async throws -> Copied {
        let types = try await columnTypes(of: table.name, on: connection)
        let sourceColumns = try await database.read { db in try db.columns(in: table.name).map(\.name) }
        var columns: [String] = []
        for column in sourceColumns {
            if table.name == "events", column == "raw_body" { continue }  // split in two below
            guard types[column] != nil else { throw CopyRefusal.columnWithoutPlace(table: table.name, column: column) }
            columns.append(column)
        }
        if table.name == "events" { columns += ["raw_body", "raw_body_binary"] }
        let list = columns.joined(separator: ", ")
        let insert = "INSERT INTO \(table.name) (\(list)) OVERRIDING SYSTEM VALUE SELECT \(list) "
            + "FROM jsonb_populate_recordset(NULL::\(table.name), $1::jsonb)"
        var rows = 0
        var bytes = 0
        var lastRowID: Int64 = .min
        while true {
            let page = try await database.read { [chunk] db in
                try Row.fetchAll(db, sql: "SELECT rowid AS copy_rowid, * FROM \(table.name) WHERE rowid > ? ORDER BY rowid LIMIT ?",
                                 arguments: [lastRowID, chunk])
            }
            guard let last = page.last else { break }
            lastRowID = last["copy_rowid"]
            let json = "[" + page.map { Self.json(of: $0, columns: columns, types: types, table: table.name) }.joined(separator: ",") + "]"
            var bindings = PostgresBindings()
            bindings.append(json)
            try await connection.run(PostgresQuery(unsafeSQL: insert, binds: bindings), logger: logger)
            rows += page.count
            bytes += json.utf8.count
        }
        return try await verify(table, sourceColumns: sourceColumns, rows: rows, bytes: bytes, types: types, from: database, on: connection)
    }

    /// PostgreSQL's type of each column of `table`, by name.
    private func columnTypes(of table: String, on connection: PostgresConnection) async throws -> [String: String] {
        let rows = try await connection.all("""
            SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(table)
            """, logger: logger) { try $0.decode((String, String).self) }
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }

    /// One SQLite row as the JSON object `jsonb_populate_recordset` reads: each value in the form the target column's
    /// input takes (0/1 as booleans, JSON text as JSON, blobs as hex).
    static func json(of row: Row, columns: [String], types: [String: String], table: String) -> String {
        var fields: [String] = []
        for column in columns {
            let value: DatabaseValue
            if table == "events", column == "raw_body" || column == "raw_body_binary" {
                value = eventBody(row["raw_body"], binary: column == "raw_body_binary")
            } else {
                value = row[column]
            }
            fields.append(PostgresJSONText.quote(column) + ":" + json(of: value, type: types[column] ?? "text"))
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    private static func json(of value: DatabaseValue, type: String) -> String {
        switch value.storage {
        case .null: return "null"
        case .int64(let number):
            return type == "boolean" ? (number != 0 ? "true" : "false") : String(number)
        case .double(let number): return String(number)
        case .string(let text): return type == "jsonb" ? text : text.postgresJSON
        case .blob(let data): return ByteBuffer(bytes: data).postgresJSON
        }
    }

    /// An event's body: UTF-8 text without NUL goes to `raw_body`, anything else to `raw_body_binary` (as the store
    /// writes them, `RawBody.postgresText`).
    private static func eventBody(_ stored: DatabaseValue, binary: Bool) -> DatabaseValue {
        let bytes: Data
        switch stored.storage {
        case .string(let text): bytes = Data(text.utf8)
        case .blob(let data): bytes = data
        default: return .null
        }
        let text = RawBody(bytes).postgresText
        if binary { return text == nil ? bytes.databaseValue : .null }
        return text.map(\.databaseValue) ?? .null
    }

    // MARK: Verification

    /// Counts the table on both sides and compares a checksum of the columns both engines print alike (integers and
    /// text: the ids, tokens' hashes, states, bodies, secrets), row by row in key order.
    private func verify(_ table: Table, sourceColumns: [String], rows: Int, bytes: Int, types: [String: String],
                        from database: DatabaseQueue, on connection: PostgresConnection) async throws -> Copied {
        // An event's body is compared through its length and digest elsewhere: SQLite keeps text and bytes in one column.
        let checked = sourceColumns.filter { ["bigint", "integer", "text"].contains(types[$0] ?? "") && !(table.name == "events" && $0 == "raw_body") }
        let select = checked.map { "coalesce(CAST(\($0) AS TEXT), '∅')" }.joined(separator: " || '|' || ")
        let sourceDigest = try await database.read { db in
            var hash = SHA256()
            let rows = try String.fetchCursor(db, sql: "SELECT \(select) FROM \(table.name) ORDER BY \(table.key)")
            var count = 0
            while let line = try rows.next() {
                hash.update(data: Data((line + "\n").utf8))
                count += 1
            }
            return (count, hash.finalize().hexString)
        }
        var hash = SHA256()
        var count = 0
        let orderedKey = types[table.key] == "text" ? "\(table.key) COLLATE \"C\"" : table.key
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: "SELECT \(select) FROM \(table.name) ORDER BY \(orderedKey)"),
                                                         logger: logger) {
            hash.update(data: Data((try row.decode(String.self) + "\n").utf8))
            count += 1
        }
        let targetDigest = hash.finalize().hexString
        guard count == sourceDigest.0, count == rows, targetDigest == sourceDigest.1 else {
            throw CopyRefusal.mismatch(table: table.name, sourceRows: sourceDigest.0, targetRows: count)
        }
        return Copied(table: table.name, rows: rows, bytes: bytes, checksum: targetDigest)
    }

    // MARK: Files

    /// Every file a row refers to (an archived image, an upload not pruned), read from the archive directory,
    /// checked against its name, and hashed again by PostgreSQL once written.
    private func copyFiles(from database: DatabaseQueue, to connection: PostgresConnection) async throws -> Copied {
        let wanted = try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT sha256, min(created_at) AS created_at FROM (
                    SELECT sha256, coalesce(archived_at, updated_at) AS created_at FROM images WHERE state = 'archived' AND sha256 IS NOT NULL
                    UNION ALL SELECT sha256, created_at FROM uploads WHERE pruned_at IS NULL
                ) GROUP BY sha256 ORDER BY sha256
                """).map { (sha256: $0["sha256"] as String, createdAt: $0["created_at"] as String) }
        }
        var bytes = 0
        var digest = SHA256()
        for file in wanted {
            let path = fileAt(file.sha256)
            guard let content = FileManager.default.contents(atPath: path) else { throw CopyRefusal.fileMissing(sha256: file.sha256, path: path) }
            let actual = SHA256.hash(data: content).hexString
            guard actual == file.sha256.lowercased() else { throw CopyRefusal.fileDamaged(sha256: file.sha256, path: path) }
            try await connection.run("""
                INSERT INTO files (sha256, bytes, content, created_at)
                VALUES (\(actual), \(Int64(content.count)), \(ByteBuffer(bytes: content)), \(file.createdAt)::timestamptz)
                """, logger: logger)
            bytes += content.count
            digest.update(data: Data((actual + "\n").utf8))
        }
        let damaged = try await connection.value("SELECT count(*) FROM files WHERE encode(sha256(content), 'hex') <> sha256",
                                                 as: Int.self, logger: logger) ?? 0
        guard damaged == 0 else { throw CopyRefusal.mismatch(table: "files", sourceRows: wanted.count, targetRows: wanted.count - damaged) }
        return Copied(table: "files", rows: wanted.count, bytes: bytes, checksum: digest.finalize().hexString)
    }

    // MARK: Sequences

    /// Each identity sequence goes on after the highest id SQLite gave (pruned ones included: `sqlite_sequence`), so
    /// the first message written on PostgreSQL follows the last one written on SQLite, with no id given twice.
    private func continueSequences(from database: DatabaseQueue, on connection: PostgresConnection) async throws {
        for table in Self.tables where table.key == "id" && table.name != "projects" {
            let highest = try await database.read { db in
                let used = try Int64.fetchOne(db, sql: "SELECT max(id) FROM \(table.name)") ?? 0
                let given = (try? Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [table.name])) ?? 0
                return max(used, given)
            }
            guard highest > 0 else { continue }
            try await connection.run("SELECT setval(pg_get_serial_sequence(\(table.name), 'id'), \(highest))", logger: logger)
        }
    }
}

/// Why a copy did not start, or was rolled back.
public enum CopyRefusal: Error, Equatable, CustomStringConvertible {
    case sourceMissing(String)
    case sourceNotMigrated(String)
    case targetNotEmpty(String, table: String)
    case columnWithoutPlace(table: String, column: String)
    case fileMissing(sha256: String, path: String)
    case fileDamaged(sha256: String, path: String)
    case mismatch(table: String, sourceRows: Int, targetRows: Int)

    public var description: String {
        switch self {
        case .sourceMissing(let path): "no database at \(path)"
        case .sourceNotMigrated(let path):
            "\(path) was written by an older declutterd: start this version's serve on it once (it migrates the file), then copy"
        case .targetNotEmpty(let target, let table): "\(target) is not empty (\(table) has rows): copy only into an empty database"
        case .columnWithoutPlace(let table, let column): "\(table).\(column) has no column to go to in PostgreSQL"
        case .fileMissing(let sha256, let path): "archived file \(sha256) is missing (\(path))"
        case .fileDamaged(let sha256, let path): "archived file \(path) does not hash to its name \(sha256)"
        case .mismatch(let table, let source, let target):
            "\(table) does not match after the copy (\(source) rows in SQLite, \(target) in PostgreSQL); nothing was committed"
        }
    }
}
