extension Migrations {
    /// Listings (docs/listings.md): a set of photos under the client's reference, each launched as a generation.
    static let v6 = """
    CREATE TABLE listings (
        id             INTEGER PRIMARY KEY,
        reference      TEXT NOT NULL UNIQUE,                 -- the client's own name for it
        allow_partial  INTEGER NOT NULL,
        photos_digest  TEXT NOT NULL,                        -- SHA-256 of its photos: the same reference again must bring the same
        photo_count    INTEGER NOT NULL,
        outcome        TEXT CHECK (outcome IN ('completed', 'completed_with_failures')),  -- NULL while in progress
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        completed_at   TEXT
    );
    CREATE INDEX listings_in_progress ON listings(id) WHERE outcome IS NULL;
    CREATE INDEX listings_by_outcome ON listings(outcome, id);

    CREATE TABLE listing_photos (
        id              INTEGER PRIMARY KEY,
        listing         INTEGER NOT NULL REFERENCES listings(id),
        position        INTEGER NOT NULL,                    -- in the order sent, from 0
        name            TEXT NOT NULL,                       -- the client's file name, unique in the listing
        image_url       TEXT NOT NULL,                       -- a URL, or upload:<sha256>
        mask_url        TEXT,
        auto            INTEGER,
        files           TEXT NOT NULL,                       -- JSON: the uploaded files its launch hands over
        launch_pending  INTEGER NOT NULL,                    -- waiting for a launch (new, or retried)
        generation      INTEGER REFERENCES generations(id),  -- its newest generation
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        UNIQUE (listing, name)
    );
    CREATE INDEX listing_photos_awaiting_launch ON listing_photos(id) WHERE launch_pending;

    ALTER TABLE generations ADD COLUMN listing_photo INTEGER REFERENCES listing_photos(id);
    CREATE INDEX generations_by_listing_photo ON generations(listing_photo, id) WHERE listing_photo IS NOT NULL;
    """
}
