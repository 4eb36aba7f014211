extension Migrations {
    /// Local API keys and dashboard sessions (docs/keys.md); each generation and listing names the key that made it.
    static let v7 = """
    CREATE TABLE api_keys (
        id                    INTEGER PRIMARY KEY,
        name                  TEXT NOT NULL UNIQUE,          -- never reused, even once revoked
        scopes                TEXT NOT NULL,                 -- read,submit,admin
        token_hash            TEXT NOT NULL UNIQUE,          -- SHA-256 of the token (hex): the token itself is never kept
        previous_token_hash   TEXT,                          -- the token a rotation replaced ...
        previous_valid_until  TEXT,                          -- ... works until then
        budget_limit          INTEGER CHECK (budget_limit > 0),
        budget_period         TEXT CHECK (budget_period IN ('day', 'month')),
        created_at            TEXT NOT NULL,
        updated_at            TEXT NOT NULL,
        last_used_at          TEXT,
        revoked_at            TEXT,
        CHECK ((budget_limit IS NULL) = (budget_period IS NULL))
    );
    CREATE INDEX api_keys_previous_token ON api_keys(previous_token_hash) WHERE previous_token_hash IS NOT NULL;

    -- One-time dashboard links ('link') and the sessions they open ('session'), by the SHA-256 of their secret.
    CREATE TABLE dashboard_sessions (
        token_hash  TEXT PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('link', 'session')),
        key_name    TEXT,                                    -- NULL: asked for over the unix socket
        scopes      TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL
    );
    CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions(expires_at);

    ALTER TABLE generations ADD COLUMN key_name TEXT;
    -- What a key has spent in a window: a range of this index, its rows' state and refund read from it alone.
    CREATE INDEX generations_by_key ON generations(key_name, created_at, status, refunded) WHERE key_name IS NOT NULL;
    ALTER TABLE listings ADD COLUMN key_name TEXT;
    CREATE INDEX listings_by_key ON listings(key_name, id) WHERE key_name IS NOT NULL;
    """
}
