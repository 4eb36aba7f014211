extension Migrations {
    /// Counts kept up to date by triggers, so that `/v1/stats`, `/metrics` and the dashboard read a handful of rows
    /// instead of scanning `generations` and `images` (a million rows: tens of milliseconds per scrape). Triggers
    /// rather than code: every write path, and an operator's own INSERT, UPDATE or DELETE at the sqlite3 prompt,
    /// keeps them exact. (Not `INSERT OR REPLACE` over an existing row: SQLite fires no delete trigger for the row
    /// it replaces. The daemon never replaces these rows.)
    static let v5 = """
    CREATE TABLE tallies (
        subject TEXT NOT NULL,                  -- 'generations.status', 'generations.resolved_by', 'images.state'
        key     TEXT NOT NULL,                  -- the column's value: 'STARTING', 'callback', 'archived', ...
        count   INTEGER NOT NULL DEFAULT 0,
        bytes   INTEGER NOT NULL DEFAULT 0,     -- images: the sum of their bytes
        PRIMARY KEY (subject, key)
    ) WITHOUT ROWID;

    INSERT INTO tallies (subject, key, count)
        SELECT 'generations.status', status, count(*) FROM generations GROUP BY status;
    INSERT INTO tallies (subject, key, count)
        SELECT 'generations.resolved_by', resolved_by, count(*) FROM generations WHERE resolved_by IS NOT NULL GROUP BY resolved_by;
    INSERT INTO tallies (subject, key, count, bytes)
        SELECT 'images.state', state, count(*), coalesce(sum(bytes), 0) FROM images GROUP BY state;

    CREATE TRIGGER tally_generation_insert AFTER INSERT ON generations BEGIN
        INSERT INTO tallies (subject, key, count) VALUES ('generations.status', new.status, 1)
            ON CONFLICT (subject, key) DO UPDATE SET count = count + 1;
        INSERT INTO tallies (subject, key, count) SELECT 'generations.resolved_by', new.resolved_by, 1
            WHERE new.resolved_by IS NOT NULL ON CONFLICT (subject, key) DO UPDATE SET count = count + 1;
    END;
    CREATE TRIGGER tally_generation_delete AFTER DELETE ON generations BEGIN
        UPDATE tallies SET count = count - 1 WHERE subject = 'generations.status' AND key = old.status;
        UPDATE tallies SET count = count - 1 WHERE subject = 'generations.resolved_by' AND key = old.resolved_by;
    END;
    CREATE TRIGGER tally_generation_update AFTER UPDATE OF status, resolved_by ON generations
    WHEN old.status IS NOT new.status OR old.resolved_by IS NOT new.resolved_by BEGIN
        UPDATE tallies SET count = count - 1 WHERE subject = 'generations.status' AND key = old.status;
        INSERT INTO tallies (subject, key, count) VALUES ('generations.status', new.status, 1)
            ON CONFLICT (subject, key) DO UPDATE SET count = count + 1;
        UPDATE tallies SET count = count - 1 WHERE subject = 'generations.resolved_by' AND key = old.resolved_by;
        INSERT INTO tallies (subject, key, count) SELECT 'generations.resolved_by', new.resolved_by, 1
            WHERE new.resolved_by IS NOT NULL ON CONFLICT (subject, key) DO UPDATE SET count = count + 1;
    END;

    CREATE TRIGGER tally_image_insert AFTER INSERT ON images BEGIN
        INSERT INTO tallies (subject, key, count, bytes) VALUES ('images.state', new.state, 1, coalesce(new.bytes, 0))
            ON CONFLICT (subject, key) DO UPDATE SET count = count + 1, bytes = bytes + excluded.bytes;
    END;
    CREATE TRIGGER tally_image_delete AFTER DELETE ON images BEGIN
        UPDATE tallies SET count = count - 1, bytes = bytes - coalesce(old.bytes, 0) WHERE subject = 'images.state' AND key = old.state;
    END;
    CREATE TRIGGER tally_image_update AFTER UPDATE OF state, bytes ON images
    WHEN old.state IS NOT new.state OR old.bytes IS NOT new.bytes BEGIN
        UPDATE tallies SET count = count - 1, bytes = bytes - coalesce(old.bytes, 0) WHERE subject = 'images.state' AND key = old.state;
        INSERT INTO tallies (subject, key, count, bytes) VALUES ('images.state', new.state, 1, coalesce(new.bytes, 0))
            ON CONFLICT (subject, key) DO UPDATE SET count = count + 1, bytes = bytes + excluded.bytes;
    END;

    -- GET /v1/generations?status=...: newest first within a state, read straight from the index.
    CREATE INDEX generations_by_status_newest ON generations(status, id);
    -- Refunds since the latest quota reading (/v1/stats): a range of this index.
    CREATE INDEX generations_refunded ON generations(completed_at) WHERE refunded = 1;
    """
}
