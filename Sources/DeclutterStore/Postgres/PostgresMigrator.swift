import Logging
import PostgresNIO

/// Brings a PostgreSQL database to `PostgresSchema`, one instance at a time: the migrations run under a
/// session advisory lock, so instances starting together wait for the first one and then find nothing to do.
/// Refuses, writing nothing, a database with migrations this binary does not know or with tables of another
/// application.
struct PostgresMigrator {
    let client: PostgresClient
    /// The redacted URL, for refusals.
    let location: String
    let logger: Logger

    /// `pg_advisory_lock`'s first key ("decl"); the second is the schema's hash: declutterd stores in two schemas of
    /// one database do not wait for each other.
    static let lockSpace: Int32 = 0x6465_636C
    static let lock = "\(lockSpace), hashtext(current_schema())"

    func migrate() async throws {
        try await client.withConnection { connection in
            // Waiting for another instance's migrations is no statement running long: no timeout while holding on.
            try await connection.run("SET statement_timeout = 0", logger: logger)
            try await connection.run("SELECT pg_advisory_lock(\(unescaped: Self.lock))", logger: logger)
            do {
                try await migrate(on: connection)
                try await connection.run("SELECT pg_advisory_unlock(\(unescaped: Self.lock))", logger: logger)
                try await connection.run("RESET statement_timeout", logger: logger)
            } catch {
                try? await connection.run("SELECT pg_advisory_unlock(\(unescaped: Self.lock))", logger: logger)
                try? await connection.run("RESET statement_timeout", logger: logger)
                throw error
            }
        }
    }

    private func migrate(on connection: PostgresConnection) async throws {
        let tables = try await connection.all("""
            SELECT table_name::text FROM information_schema.tables
            WHERE table_schema = current_schema() ORDER BY table_name
            """, logger: logger) { try $0.decode(String.self) }
        let recorded = tables.contains("declutterd_migrations")
            ? try await connection.all("SELECT identifier FROM declutterd_migrations", logger: logger) { try $0.decode(String.self) }
            : []
        let known = Set(PostgresSchema.migrations.map(\.identifier))
        if !recorded.contains(where: known.contains) {
            let others = tables.filter { $0 != "declutterd_migrations" }
            guard others.isEmpty, recorded.isEmpty else {
                throw DatabaseRefusal.foreign(path: location, tables: Array(tables.prefix(3)), tableCount: tables.count)
            }
        }
        let unknown = recorded.filter { !known.contains($0) }
        guard unknown.isEmpty else { throw DatabaseRefusal.newerSchema(path: location, unknownMigrations: unknown) }
        try await connection.run("""
            CREATE TABLE IF NOT EXISTS declutterd_migrations (
                identifier text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        for migration in PostgresSchema.migrations where !recorded.contains(migration.identifier) {
            try await connection.withTransaction(logger: logger) { connection in
                for statement in PostgresSchema.statements(of: migration.sql) {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.run("INSERT INTO declutterd_migrations (identifier) VALUES (\(migration.identifier))", logger: logger)
            }
            logger.info("migrated", metadata: ["migration": "\(migration.identifier)"])
        }
    }
}
