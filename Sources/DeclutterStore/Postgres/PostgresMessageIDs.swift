import PostgresNIO

/// Message ids are handed out in one order and committed in another when several transactions publish at once: a
/// reader that saw 12 committed and 11 not yet would move its cursor past 11 for good (an event stream resumed with
/// Last-Event-ID, say). So each publishing transaction holds an advisory lock on its message's id until it ends, and
/// a reader stops before the first missing id whose lock is held: that message is still being committed. A missing
/// id nobody holds was rolled back (or pruned) and is passed over.
///
/// Advisory locks belong to the whole database, not to a schema: two deployments in two schemas of one database (or
/// two test cases) hand out the same ids, so the key carries the schema too. It is a one-key (bigint) lock, a space
/// of its own beside the two-key locks of the migrator, the chores and the Idempotency-Keys.
enum PostgresMessageIDs {
    /// The lock's key for the id in `column`: the schema's hash in the high 32 bits, the id's low 32 bits below.
    static func lockKey(_ column: String) -> String {
        "((hashtext(current_schema())::bigint << 32) | (\(column) % 4294967296))"
    }

    /// Missing ids this far below the first id read are looked at too; below, they were pruned. No more are in flight
    /// at once than batches times their size (`PostgresStore.Life.reports`: 2 × 128 an instance) plus one a connection.
    static let leadingWindow: Int64 = 4096

    /// The first id after `after` that a transaction in flight holds, if any: messages from it on are not read yet.
    static func horizon(after: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        let ids = try await connection.all("SELECT id FROM messages WHERE id > \(after) ORDER BY id LIMIT 1000", logger: logger) {
            try $0.decode(Int64.self)
        }
        guard let first = ids.first else { return nil }
        var missing = Array(max(after + 1, first - leadingWindow) ..< first)
        for (previous, next) in zip(ids, ids.dropFirst()) where next > previous + 1 { missing += Array(previous + 1 ..< next) }
        guard !missing.isEmpty else { return nil }
        // One statement tries them all (each shared try-lock ends with it): the lowest one held is the horizon.
        return try await connection.value("""
            SELECT min(id) FROM unnest(\(missing)::bigint[]) AS candidate(id)
            WHERE NOT pg_try_advisory_xact_lock_shared(\(unescaped: lockKey("id")))
            """, as: Int64?.self, logger: logger) ?? nil
    }
}
