@testable import DeclutterStore
import Foundation
import GRDB
import PostgresNIO
import TestSupport
import Testing

/// The two backends' live schemas, as each engine describes them after its migrations: the same tables, columns,
/// nullability, CHECK lists and indexes, but for the differences listed here, each with its reason. A column added
/// to one backend and not the other fails here, not in production.
@Suite("SQLite and PostgreSQL schemas")
struct SchemaParityTests {
    /// What only one engine has, on purpose.
    static let onlySQLite: Set<String> = [
        "table tallies",  // counts kept by triggers; PostgreSQL counts at each read
        "table grdb_migrations",  // each engine records its migrations its own way
    ]
    static let onlyPostgres: Set<String> = [
        "table declutterd_migrations",
        "table files",  // archived files in the database: every instance serves them
        "column generations.poll_lease_owner", "column generations.poll_lease_until",  // leases: several instances
        "column deliveries.lease_owner", "column deliveries.lease_until",
        "column images.lease_owner", "column images.lease_until",
        "column events.raw_body_binary",  // text cannot hold every body; SQLite's one column holds both
        "index generations_leased", "index deliveries_leased",
    ]
    /// `heartbeat` is one row on SQLite, one per instance on PostgreSQL.
    static let shapedApart: Set<String> = ["heartbeat"]

    @Test("the same tables, columns, nullability, CHECK lists and indexes, but for the listed differences")
    func schemasMatch() async throws {
        guard StoreBackend.available.contains(.postgres) else { return }
        let sqlite = try await withTemporaryDatabase { database, _ in try await database.read(Self.describe) }
        let postgres = try await withTemporaryPostgresSchema { location in
            let store = try await TestPostgres.open(location, maximumConnections: 1)
            defer { Task { try? await store.close() } }
            return try await store.read { try await Self.describe($0, logger: store.logger) }
        }
        let extraSQLite = sqlite.subtracting(postgres).filter { !Self.excused($0, by: Self.onlySQLite) }
        let extraPostgres = postgres.subtracting(sqlite).filter { !Self.excused($0, by: Self.onlyPostgres) }
        #expect(extraSQLite.sorted() == [], "in SQLite only")
        #expect(extraPostgres.sorted() == [], "in PostgreSQL only")
    }

    /// Each record's one declaration of its columns (`Columns/`), by table.
    static let declared: [String: Set<String>] = [
        "generations": columns(of: GenerationRecord.blank), "events": columns(of: EventRecord.blank),
        "messages": columns(of: MessageRecord.blank), "images": columns(of: ImageRecord.blank),
        "projects": columns(of: ProjectRecord.blank, id: false), "quota_history": columns(of: QuotaRecord.blank),
        "idempotency_keys": columns(of: IdempotencyRecord.blank, id: false), "uploads": columns(of: UploadRecord.blank),
        "endpoints": columns(of: EndpointRecord.blank), "deliveries": columns(of: DeliveryRecord.blank),
        "delivery_attempts": columns(of: DeliveryAttemptRecord.blank),
        "listings": columns(of: ListingRecord.blank), "listing_photos": columns(of: ListingPhotoRecord.blank),
        "api_keys": columns(of: KeyRecord.blank),
    ]

    static func columns(of record: some StoredRecord, id: Bool = true) -> Set<String> {
        Set((id ? ["id"] : []) + record.columnValues.names)
    }

    @Test("each record's declared columns are its table's columns on both engines, but for the engine's own listed above")
    func declarationsMatchTables() async throws {
        let sqlite = try await withTemporaryDatabase { database, _ in try await database.read(Self.describe) }
        Self.expectDeclared(in: sqlite, excusing: Self.onlySQLite, engine: "SQLite")
        guard StoreBackend.available.contains(.postgres) else { return }
        let postgres = try await withTemporaryPostgresSchema { location in
            let store = try await TestPostgres.open(location, maximumConnections: 1)
            defer { Task { try? await store.close() } }
            return try await store.read { try await Self.describe($0, logger: store.logger) }
        }
        Self.expectDeclared(in: postgres, excusing: Self.onlyPostgres, engine: "PostgreSQL")
    }

    static func expectDeclared(in facts: Set<String>, excusing excused: Set<String>, engine: String) {
        for (table, declaredColumns) in declared {
            let live = Set(facts.compactMap { fact -> String? in
                guard fact.hasPrefix("column \(table).") else { return nil }
                return excused.contains(fact) ? nil : String(fact.dropFirst("column \(table).".count))
            })
            #expect(live == declaredColumns, "\(engine) \(table): undeclared \(live.subtracting(declaredColumns).sorted()), missing \(declaredColumns.subtracting(live).sorted())")
        }
    }

    /// Whether `fact` is one of the listed differences (a table's own columns, nullability and checks go with it).
    static func excused(_ fact: String, by list: Set<String>) -> Bool {
        let words = fact.hasPrefix("not null ") ? Array(fact.split(separator: " ").dropFirst(2)) : Array(fact.split(separator: " ").dropFirst())
        let subject = words.first.map(String.init) ?? ""
        let table = subject.split(separator: ".").first.map(String.init) ?? subject
        if shapedApart.contains(table) || list.contains("table \(table)") { return true }
        return list.contains(fact) || list.contains("column \(subject)")
    }

    /// `table T`, `column T.C`, `not null T.C`, `check T.C in a,b,c`, `index I`.
    static func describe(_ db: Database) throws -> Set<String> {
        var facts: Set<String> = []
        let tables = try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        for table in tables {
            let name: String = table["name"]
            facts.insert("table \(name)")
            for column in try db.columns(in: name) {
                facts.insert("column \(name).\(column.name)")
                if column.isNotNull || column.primaryKeyIndex > 0 { facts.insert("not null \(name).\(column.name)") }
            }
            facts.formUnion(checks(in: table["sql"] ?? "", table: name))
        }
        for index in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL") {
            facts.insert("index \(index)")
        }
        return facts
    }

    static func describe(_ connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        var facts: Set<String> = []
        for (table, column, nullable) in try await connection.all("""
            SELECT c.table_name::text, c.column_name::text, c.is_nullable::text FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
            """, logger: logger, { try $0.decode((String, String, String).self) }) {
            facts.insert("table \(table)")
            facts.insert("column \(table).\(column)")
            if nullable == "NO" { facts.insert("not null \(table).\(column)") }
        }
        for (table, definition) in try await connection.all("""
            SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE contype = 'c' AND connamespace = current_schema()::regnamespace
            """, logger: logger, { try $0.decode((String, String).self) }) {
            facts.formUnion(checks(in: definition, table: table))
        }
        for index in try await connection.all("""
            SELECT indexname::text FROM pg_indexes i WHERE schemaname = current_schema()
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.contype IN ('p', 'u'))
            """, logger: logger, { try $0.decode(String.self) }) {
            facts.insert("index \(index)")
        }
        return facts
    }

    /// `check T.C in a,b,c` for each `C IN ('a', 'b', 'c')` (SQLite) or `C = ANY (ARRAY['a'::text, ...])` (PostgreSQL).
    static func checks(in sql: String, table: String) -> Set<String> {
        var facts: Set<String> = []
        let pattern = #/\(?(\w+)\)?(?:::text)?\s+(?:IN\s*\(|=\s*ANY\s*\(\(?ARRAY\[)([^\])]*)/#
        for match in sql.matches(of: pattern) {
            let values = match.output.2.matches(of: #/'([^']*)'/#).map { String($0.output.1) }.sorted()
            guard !values.isEmpty else { continue }
            facts.insert("check \(table).\(match.output.1) in \(values.joined(separator: ","))")
        }
        return facts
    }
}
