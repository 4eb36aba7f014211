import GRDB

/// The versioned schema. A migration, once shipped, is never edited: add a new one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: projects, generations, events, quota, idempotency") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2: callbacks kept per generation, by outcome") { db in
            // Counting what is kept of a generation's unapplied callbacks (CallbackRetention) reads this index only.
            try db.execute(sql: "CREATE INDEX events_by_generation_source_outcome ON events(generation, source, outcome)")
        }
        migrator.registerMigration("v3: outbox messages, webhook endpoints, deliveries and their attempts") { db in
            try db.execute(sql: v3)
        }
        migrator.registerMigration("v4: the result archive and uploaded photos") { db in
            try db.execute(sql: v4)
        }
        migrator.registerMigration("v5: tallies kept by triggers, indexes for the state list and refunds") { db in
            try db.execute(sql: v5)
        }
        migrator.registerMigration("v6: listings and their photos") { db in
            try db.execute(sql: v6)
        }
        migrator.registerMigration("v7: local API keys, dashboard sessions, the key of each generation and listing") { db in
            try db.execute(sql: v7)
        }
        return migrator
    }

    /// Reads (never writes) what `db` holds and throws the refusal when this binary must not migrate it:
    /// migrations it does not know (a newer declutterd), or tables without any of declutterd's migrations
    /// (another application's file). An empty database, or one this binary migrated, passes.
    static func check(_ db: Database, path: String) throws {
        let tables = try String.fetchAll(db, sql: #"""
            SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name
            """#)
        // A `grdb_migrations` of another shape is someone else's: read as no declutterd migration.
        let recorded = tables.contains("grdb_migrations")
            ? (try? String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")) ?? ["?"] : []
        let known = Set(migrator.migrations)
        let others = tables.filter { $0 != "grdb_migrations" }
        guard recorded.contains(where: known.contains) else {
            // Nothing of declutterd's: only an empty file (or an empty migrations table) may become the store.
            guard others.isEmpty, recorded.isEmpty else {
                throw DatabaseRefusal.foreign(path: path, tables: Array(tables.prefix(3)), tableCount: tables.count)
            }
            return
        }
        let unknown = recorded.filter { !known.contains($0) }
        guard unknown.isEmpty else { throw DatabaseRefusal.newerSchema(path: path, unknownMigrations: unknown) }
    }

    static let v1 = """
    CREATE TABLE projects (
        id               TEXT PRIMARY KEY,            -- upstream project UUID
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        variations_count INTEGER NOT NULL DEFAULT 0   -- the larger of what upstream reported and what we launched
    );

    CREATE TABLE generations (
        id                   INTEGER PRIMARY KEY,     -- local id, known before the upstream call
        generation_id        TEXT UNIQUE,             -- upstream UUID; NULL until the generate response
        project_id           TEXT REFERENCES projects(id),
        parent_generation_id TEXT,                    -- for variations
        kind                 TEXT NOT NULL CHECK (kind IN ('generation', 'variation', 'tracked')),
        status               TEXT NOT NULL CHECK (status IN ('SUBMITTING', 'STARTING', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'REJECTED', 'LOST')),
        status_reason        TEXT,                    -- why REJECTED, LOST, or an unknown submission outcome
        image_url            TEXT,
        mask_url             TEXT,
        auto                 INTEGER,
        images               TEXT,                    -- JSON array of result URLs
        variations           INTEGER,                 -- as upstream last reported for the project
        callback_token_hash  TEXT UNIQUE,             -- SHA-256 (hex) of the callback capability token
        idempotency_key      TEXT,
        remaining_photos     INTEGER,                 -- quota left after this submission
        refunded             INTEGER NOT NULL DEFAULT 0,
        resolved_by          TEXT CHECK (resolved_by IN ('callback', 'poll')),
        created_at           TEXT NOT NULL,
        submitted_at         TEXT,
        updated_at           TEXT NOT NULL,
        completed_at         TEXT,
        next_poll_at         TEXT,                    -- NULL once terminal
        poll_attempts        INTEGER NOT NULL DEFAULT 0,
        poll_failures        INTEGER NOT NULL DEFAULT 0,  -- consecutive failed polls
        last_polled_at       TEXT
    );
    CREATE INDEX generations_due ON generations(next_poll_at) WHERE next_poll_at IS NOT NULL;
    CREATE INDEX generations_by_status ON generations(status, created_at);
    CREATE INDEX generations_by_project ON generations(project_id);
    CREATE INDEX generations_by_created ON generations(created_at);

    CREATE TABLE events (
        id              INTEGER PRIMARY KEY,
        generation      INTEGER NOT NULL REFERENCES generations(id),  -- generations.id
        source          TEXT NOT NULL CHECK (source IN ('submission', 'callback', 'poll', 'giveup')),
        received_at     TEXT NOT NULL,
        http_status     INTEGER,
        raw_body        BLOB,                        -- TEXT when the body is UTF-8
        outcome         TEXT NOT NULL CHECK (outcome IN ('applied', 'duplicate', 'stale', 'conflict', 'rejected')),
        reason          TEXT,                        -- the broken rule, the conflict, the failure
        status_before   TEXT,
        status_reported TEXT
    );
    CREATE INDEX events_by_generation ON events(generation, id);

    CREATE TABLE quota_history (
        id               INTEGER PRIMARY KEY,
        recorded_at      TEXT NOT NULL,
        remaining_photos INTEGER NOT NULL,
        generation       INTEGER REFERENCES generations(id)
    );

    CREATE TABLE idempotency_keys (
        key                 TEXT PRIMARY KEY,
        request_fingerprint TEXT NOT NULL,           -- SHA-256 of the request, to refuse a key reused for another request
        generation          INTEGER NOT NULL REFERENCES generations(id),
        created_at          TEXT NOT NULL
    );

    -- The daemon's proof that the store takes writes (readiness, watchdog): one row, rewritten.
    CREATE TABLE heartbeat (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        at TEXT NOT NULL
    );

    -- One line per generation, for people at the sqlite3 prompt.
    CREATE VIEW generation_overview AS
    SELECT g.id, g.generation_id, g.kind, g.status, g.status_reason, g.project_id,
           g.created_at, g.completed_at, g.resolved_by, g.refunded,
           json_array_length(g.images) AS image_count,
           g.next_poll_at, g.poll_attempts,
           (SELECT count(*) FROM events e WHERE e.generation = g.id) AS event_count
    FROM generations g;
    """
}

extension Migrations {
    static let v3 = """
    -- The version of a generation as its messages carry it: bumped with each message, never lowered.
    ALTER TABLE generations ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

    -- The transactional outbox: one row per state change, written in the transaction that made the change.
    -- AUTOINCREMENT: an id is never reused after pruning, so a stream resumed with Last-Event-ID stays exact.
    CREATE TABLE messages (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,     -- the sequence (SSE id:); webhook-id is msg_<id>
        type        TEXT NOT NULL,                         -- generation.created, generation.succeeded, quota.low, ...
        generation  INTEGER REFERENCES generations(id),    -- NULL for quota.low
        version     INTEGER,                               -- the generation's version this message shows
        created_at  TEXT NOT NULL,
        body        TEXT NOT NULL                          -- the JSON sent: {"type", "timestamp", "data"}
    );
    CREATE INDEX messages_by_generation ON messages(generation, id);
    CREATE INDEX messages_by_created ON messages(created_at);

    -- Local apps that receive messages as signed webhooks.
    -- AUTOINCREMENT here and below: an attempt still in flight for a deleted row must never land on a new one.
    CREATE TABLE endpoints (
        id                   INTEGER PRIMARY KEY AUTOINCREMENT,
        url                  TEXT NOT NULL,
        description          TEXT,
        types                TEXT,                         -- JSON array of message types; NULL: every type
        secret               TEXT NOT NULL,                -- whsec_...: signing needs it in clear
        previous_secret      TEXT,                         -- still signs, until previous_secret_expires_at
        previous_secret_expires_at TEXT,
        enabled              INTEGER NOT NULL DEFAULT 1,
        disabled_reason      TEXT,
        failing_since        TEXT,                         -- first failed attempt since the last success
        created_at           TEXT NOT NULL,
        updated_at           TEXT NOT NULL
    );

    -- One message for one endpoint: pending until delivered, failed (a dead letter) after its last try.
    CREATE TABLE deliveries (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        message          INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        endpoint         INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
        status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,       -- made so far, across replays
        round            INTEGER NOT NULL DEFAULT 1,       -- 1 when queued, one more at each replay
        round_attempts   INTEGER NOT NULL DEFAULT 0,       -- made in this round: the schedule's step
        next_attempt_at  TEXT,                             -- NULL unless pending
        last_attempt_at  TEXT,
        last_http_status INTEGER,
        last_error       TEXT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        UNIQUE (message, endpoint)
    );
    CREATE INDEX deliveries_due ON deliveries(endpoint, next_attempt_at) WHERE status = 'pending';
    CREATE INDEX deliveries_by_endpoint ON deliveries(endpoint, status, id);
    CREATE INDEX deliveries_by_status ON deliveries(status, id);
    CREATE INDEX deliveries_pending_by_message ON deliveries(message) WHERE status = 'pending';

    -- Every attempt, as a person reads it: when, what came back, how long it took.
    CREATE TABLE delivery_attempts (
        id           INTEGER PRIMARY KEY,
        delivery     INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
        message      INTEGER NOT NULL,
        endpoint     INTEGER NOT NULL,
        attempt      INTEGER NOT NULL,                     -- 1 for the first
        attempted_at TEXT NOT NULL,
        http_status  INTEGER,
        latency_ms   INTEGER,
        response     TEXT,                                 -- the first 1 KiB of the answer
        error        TEXT                                  -- timeout, connection refused, ...
    );
    CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts(delivery, id);

    -- One line per delivery, for people at the sqlite3 prompt.
    CREATE VIEW delivery_overview AS
    SELECT d.id, d.message, m.type, m.generation, d.endpoint, e.url, d.status, d.attempts, d.next_attempt_at,
           d.last_attempt_at, d.last_http_status, d.last_error
    FROM deliveries d JOIN messages m ON m.id = d.message JOIN endpoints e ON e.id = d.endpoint;
    """
}

/// A database file the store will not open, found before anything was written to it. `declutterd serve` and
/// `check-config` report it as one line and exit 65 (`foreign`, `notSQLite`) or 76 (`newerSchema`).
public enum DatabaseRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// A newer declutterd migrated it: the migrations this binary does not know, as recorded.
    case newerSchema(path: String, unknownMigrations: [String])
    /// An SQLite database that is not declutterd's: it has tables but none of declutterd's migrations.
    /// `tables` names the first few (by name); `tableCount` counts them all.
    case foreign(path: String, tables: [String], tableCount: Int)
    /// Not an SQLite database at all (or an encrypted one).
    case notSQLite(path: String)

    public var description: String {
        switch self {
        case .newerSchema(let path, let unknown):
            let names = unknown.map { "\"\($0)\"" }.joined(separator: ", ")
            return "\(path) was migrated by a newer declutterd (migrations this one does not know: \(names)); "
                + "run that version, or restore a backup made by this one; nothing was written to it"
        case .foreign(let path, let tables, let count):
            let more = count > tables.count ? " and \(count - tables.count) more" : ""
            return "\(path) is not a declutterd database (it holds \(tables.joined(separator: ", "))\(more), and no declutterd migration); "
                + "nothing was written to it: set database.path to another file"
        case .notSQLite(let path):
            return "\(path) is not an SQLite database; nothing was written to it: set database.path to another file"
        }
    }
}
