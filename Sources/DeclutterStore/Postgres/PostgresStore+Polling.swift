import Foundation
import PostgresNIO

// MARK: - Polls claimed by one instance at a time

extension PostgresStore {
    /// Claims the pending generations whose poll is due at `now`, soonest first, for this instance: each is leased
    /// to it until `now + leases.poll`, so no other instance (nor this one again) polls it meanwhile; rows another
    /// transaction is claiming are skipped (`SKIP LOCKED`), not waited for. A lease whose holder died expires and
    /// is claimed again.
    /// The lease ends when the poll's result is written (`releasePollLease`).
    public func claimDueGenerations(at now: Date, excluding busy: Set<Int64>, limit: Int) async throws -> [GenerationRecord] {
        let until = now.addingTimeInterval(leases.poll.seconds)
        return try await transaction { [instance] tx in
            try await tx.all("""
                UPDATE generations SET poll_lease_owner = \(instance), poll_lease_until = \(until)
                WHERE id IN (
                    SELECT id FROM generations
                    WHERE next_poll_at IS NOT NULL AND next_poll_at <= \(now)
                      AND (poll_lease_until IS NULL OR poll_lease_until <= \(now)) AND NOT (id = ANY(\(Array(busy))))
                    ORDER BY next_poll_at LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED)
                RETURNING \(unescaped: GenerationRecord.postgresColumns)
                """, GenerationRecord.init(postgres:))
                .sorted { ($0.nextPollAt ?? .distantPast) < ($1.nextPollAt ?? .distantPast) }
        }
    }

    /// The nearest date a poll may be due for this instance, leaving out `busy` generations (its polls in flight):
    /// the nearest `next_poll_at` of a generation nobody holds, or for one under a lease, the later of its poll
    /// date and the lease's end (a holder that died leaves its generations to be claimed then). Reads the
    /// `generations_due` index in order, and the few leased rows through `generations_leased`.
    public func nextPollDate(excluding busy: Set<Int64>) async throws -> Date? {
        try await value("""
            SELECT least(
                (SELECT next_poll_at FROM generations
                 WHERE next_poll_at IS NOT NULL AND poll_lease_until IS NULL AND NOT (id = ANY(\(Array(busy))))
                 ORDER BY next_poll_at LIMIT 1),
                (SELECT min(greatest(next_poll_at, poll_lease_until)) FROM generations
                 WHERE poll_lease_until IS NOT NULL AND next_poll_at IS NOT NULL AND NOT (id = ANY(\(Array(busy))))))
            """, as: Date?.self) ?? nil
    }
}

extension PostgresTransaction {
    /// Ends `owner`'s lease on a generation once its poll's result is written.
    func releasePollLease(of row: Int64, owner: String) async throws {
        try await execute("""
            UPDATE generations SET poll_lease_owner = NULL, poll_lease_until = NULL WHERE id = \(row) AND poll_lease_owner = \(owner)
            """)
    }
}
