extension Migrations {
    static let v4 = """
    -- The result images of SUCCEEDED generations, kept in the archive folder under their SHA-256. One row per
    -- image URL, queued in the transaction that made the generation SUCCEEDED, so no result is ever forgotten.
    CREATE TABLE images (
        id               INTEGER PRIMARY KEY,
        generation       INTEGER NOT NULL REFERENCES generations(id),
        position         INTEGER NOT NULL,                 -- its index in the generation's images, from 0
        source_url       TEXT NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('pending', 'archived', 'failed', 'pruned')),
        sha256           TEXT,                             -- hex; the file is <archive.dir>/ab/cd/<sha256>
        bytes            INTEGER,
        content_type     TEXT,
        width            INTEGER,
        height           INTEGER,
        archived_at      TEXT,
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT,                             -- NULL unless pending
        last_http_status INTEGER,
        last_error       TEXT,                             -- why the last attempt failed
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        UNIQUE (generation, position)
    );
    CREATE INDEX images_due ON images(next_attempt_at) WHERE state = 'pending';
    CREATE INDEX images_by_sha256 ON images(sha256) WHERE sha256 IS NOT NULL;
    CREATE INDEX images_by_state ON images(state, id);

    -- Photos (and masks) uploaded with a submission, kept in the archive folder like the results and served to
    -- the service at <callbacks.public_base_url>/inputs/<token> until the generation ends plus archive.input_grace.
    CREATE TABLE uploads (
        id           INTEGER PRIMARY KEY,
        generation   INTEGER NOT NULL REFERENCES generations(id),
        role         TEXT NOT NULL CHECK (role IN ('image', 'mask')),
        token_hash   TEXT NOT NULL UNIQUE,                 -- SHA-256 (hex) of the capability token, never the token
        sha256       TEXT NOT NULL,
        bytes        INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        width        INTEGER,
        height       INTEGER,
        created_at   TEXT NOT NULL,
        pruned_at    TEXT,                                 -- when retention.images removed its file
        UNIQUE (generation, role)
    );
    CREATE INDEX uploads_by_sha256 ON uploads(sha256);

    -- One line per archived image, for people at the sqlite3 prompt.
    CREATE VIEW image_overview AS
    SELECT i.id, i.generation, g.generation_id, i.position, i.state, i.sha256, i.bytes, i.content_type,
           i.width, i.height, i.archived_at, i.attempts, i.next_attempt_at, i.last_error, i.source_url
    FROM images i JOIN generations g ON g.id = i.generation;
    """
}
