// The key queries both engines run, each with its own placeholders written in: `KeySQL.sqlite` (`?1`) or
// `KeySQL.postgres` (`$1`).

enum KeySQL {
    case sqlite, postgres

    /// The n-th parameter (from 1).
    func parameter(_ n: Int) -> String { self == .sqlite ? "?\(n)" : "$\(n)" }

    /// The LIMIT that means "no limit" before an OFFSET.
    var noLimit: String { self == .sqlite ? "-1" : "ALL" }

    /// What key $1 has spent since $2, the start of its window: its generations created since then that were not
    /// refused (REJECTED: nothing spent) or refunded (FAILED), and its listings' photos still waiting for their launch
    /// (counted when the listing was recorded). The generations are read from `generations_by_key` alone.
    var used: String {
        """
        SELECT (SELECT count(*) FROM generations
                WHERE key_name = \(parameter(1)) AND created_at >= \(parameter(2)) AND status <> 'REJECTED' AND NOT refunded)
             + (SELECT count(*) FROM listing_photos p JOIN listings l ON l.id = p.listing
                WHERE l.key_name = \(parameter(1)) AND p.launch_pending)
        """
    }

    /// The live session (not a link) whose hash is $1 at $2: its key's name, scopes and end, unless its key is revoked.
    var session: String {
        """
        SELECT s.key_name, s.scopes, s.expires_at FROM dashboard_sessions s LEFT JOIN api_keys k ON k.name = s.key_name
        WHERE s.token_hash = \(parameter(1)) AND s.kind = 'session' AND s.expires_at > \(parameter(2)) AND k.revoked_at IS NULL
        """
    }

    /// Uses up the link whose hash is $1, unless expired at $2: its key's name and scopes.
    var redeemLink: String {
        """
        DELETE FROM dashboard_sessions WHERE token_hash = \(parameter(1)) AND kind = 'link' AND expires_at > \(parameter(2))
        RETURNING key_name, scopes
        """
    }

    /// The key whose current token hashes to $1, or whose replaced token does until its grace ends after $2.
    var keyByToken: String {
        """
        WHERE revoked_at IS NULL AND (token_hash = \(parameter(1)) OR (previous_token_hash = \(parameter(1)) AND previous_valid_until > \(parameter(2))))
        """
    }

    /// Links and sessions expired at $1.
    var expiredSessions: String { "DELETE FROM dashboard_sessions WHERE expires_at <= \(parameter(1))" }

    /// Makes room for one more link or session: the oldest beyond `KeyRules.maximumSessions - 1` go.
    var oldestSessions: String {
        """
        DELETE FROM dashboard_sessions WHERE token_hash IN (
            SELECT token_hash FROM dashboard_sessions ORDER BY created_at DESC, token_hash LIMIT \(noLimit) OFFSET \(KeyRules.maximumSessions - 1))
        """
    }

    /// The key of the listing whose photo is $1: its photos' launches are that key's.
    var listingKey: String {
        "SELECT l.key_name FROM listing_photos p JOIN listings l ON l.id = p.listing WHERE p.id = \(parameter(1))"
    }

    static let insertSession = "INSERT INTO dashboard_sessions (token_hash, kind, key_name, scopes, created_at, expires_at)"
}
