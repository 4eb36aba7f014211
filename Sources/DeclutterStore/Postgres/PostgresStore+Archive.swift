import Foundation
import PostgresNIO

// MARK: - The archive queue, claimed by one instance at a time (AppDatabase+Archive on SQLite)

extension PostgresStore {
    /// Claims the pending images due at `now`, oldest due first, for this instance: each is leased to it until
    /// `now + leases.image` (`SKIP LOCKED`: rows another instance is claiming are passed over). `busy` (this instance's
    /// downloads in flight) are left out. The lease ends with `recordImageAttempt`, or expires with a dead holder.
    public func dueImages(at now: Date, excluding busy: Set<Int64>, limit: Int) async throws -> [ImageRecord] {
        let until = now.addingTimeInterval(leases.image.seconds)
        return try await transaction { [instance] tx in
            try await tx.all("""
                UPDATE images SET lease_owner = \(instance), lease_until = \(until)
                WHERE id IN (
                    SELECT id FROM images
                    WHERE state = 'pending' AND next_attempt_at <= \(now) AND NOT (id = ANY(\(Array(busy))))
                      AND (lease_until IS NULL OR lease_until <= \(now))
                    ORDER BY next_attempt_at LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED)
                RETURNING \(unescaped: ImageRecord.postgresColumns)
                """, ImageRecord.init(postgres:))
                .sorted { ($0.nextAttemptAt ?? .distantPast) < ($1.nextAttemptAt ?? .distantPast) }
        }
    }

    /// The nearest attempt of a pending image not in `busy`; for one under a lease, the later of its attempt date
    /// and the lease's end.
    public func nextImageAttemptDate(excluding busy: Set<Int64>) async throws -> Date? {
        try await value("""
            SELECT min(greatest(next_attempt_at, lease_until)) FROM images
            WHERE state = 'pending' AND NOT (id = ANY(\(Array(busy))))
            """, as: Date?.self) ?? nil
    }

    public func beginImageAttempt(_ id: Int64, at date: Date, retryAt: Date) async throws -> Bool {
        try await transaction { tx in
            try await tx.value("""
                WITH begun AS (
                    UPDATE images SET attempts = attempts + 1, next_attempt_at = \(retryAt), updated_at = \(date)
                    WHERE id = \(id) AND state = 'pending' RETURNING 1)
                SELECT count(*) FROM begun
                """, as: Int.self) == 1
        }
    }

    @discardableResult
    public func recordImageAttempt(_ id: Int64, _ result: ImageAttemptResult, at date: Date) async throws -> ImageRecord? {
        try await transaction { tx in
            // The generation first, as reports lock it: two images of one generation settled at once take turns, so the
            // later one sees the other settled and sends generation.archived.
            try await tx.execute("SELECT 1 FROM generations WHERE id = (SELECT generation FROM images WHERE id = \(id)) FOR UPDATE")
            guard var image = try await tx.all("SELECT \(unescaped: ImageRecord.postgresColumns) FROM images WHERE id = \(id) FOR UPDATE",
                                               ImageRecord.init(postgres:)).first,
                  image.state == .pending else { return nil }
            image.record(result, at: date)
            try await tx.execute(image.postgresValues.update("images", id: id))
            try await tx.execute("UPDATE images SET lease_owner = NULL, lease_until = NULL WHERE id = \(id)")
            try await announceIfArchived(generation: image.generation, at: date, in: tx)
            return image
        }
    }

    /// `generation.archived` once every image of the generation has settled (archived or failed).
    private func announceIfArchived(generation row: Int64, at date: Date, in tx: PostgresTransaction) async throws {
        let pending = try await tx.value("SELECT EXISTS (SELECT 1 FROM images WHERE generation = \(row) AND state = 'pending')",
                                         as: Bool.self) ?? true
        guard !pending, var generation = try await tx.generation(.row(row)) else { return }
        generation.version += 1
        generation.updatedAt = date
        try await tx.update(generation)
        try await tx.publish(.generationArchived, about: generation, at: date)
    }

    /// Counted at each read, like `stats()`.
    public func archiveCounts() async throws -> ArchiveCounts {
        var counts = ArchiveCounts()
        for (state, count, bytes) in try await all("SELECT state, count(*), coalesce(sum(bytes), 0)::bigint FROM images GROUP BY state", {
            try $0.decode((ImageState, Int, Int64).self)
        }) {
            counts.add(count, bytes: bytes, in: state)
        }
        return counts
    }

    public func files(ofRow row: Int64) async throws -> GenerationFiles {
        try await transaction { tx in try await tx.files(of: [row])[row] ?? GenerationFiles() }
    }

    public func image(ofRow row: Int64, index: Int) async throws -> ImageRecord? {
        try await first("""
            SELECT \(unescaped: ImageRecord.postgresColumns) FROM images WHERE generation = \(row) AND position = \(index)
            """, ImageRecord.init(postgres:))
    }

    public func upload(ofRow row: Int64, role: UploadRole) async throws -> UploadRecord? {
        try await first("""
            SELECT \(unescaped: UploadRecord.postgresColumns) FROM uploads WHERE generation = \(row) AND role = \(role.rawValue)
            """, UploadRecord.init(postgres:))
    }

    public func upload(tokenHash: String) async throws -> (UploadRecord, GenerationRecord)? {
        guard let upload = try await first("SELECT \(unescaped: UploadRecord.postgresColumns) FROM uploads WHERE token_hash = \(tokenHash)",
                                           UploadRecord.init(postgres:)),
              let generation = try await generation(.row(upload.generation)) else { return nil }
        return (upload, generation)
    }

    public func uploadedFile(sha256: String) async throws -> ArchivedFileFacts? {
        try await first("""
            SELECT \(unescaped: UploadRecord.postgresColumns) FROM uploads WHERE sha256 = \(sha256) AND pruned_at IS NULL LIMIT 1
            """, UploadRecord.init(postgres:))?.file
    }
}

// MARK: - The files themselves: in the database, so that every instance serves them

extension PostgresStore {
    public var keepsFileContents: Bool { true }

    public func keepFileContents(_ file: ArchivedFileFacts, _ contents: Data, at date: Date) async throws {
        try await transaction { tx in
            try await tx.execute("""
                INSERT INTO files (sha256, bytes, content, created_at) VALUES (\(file.sha256), \(file.bytes), \(ByteBuffer(bytes: contents)), \(date))
                ON CONFLICT (sha256) DO NOTHING
                """)
        }
    }

    public func fileContents(sha256: String) async throws -> Data? {
        try await first("SELECT content FROM files WHERE sha256 = \(sha256)") { Data(try $0.decode(ByteBuffer.self).readableBytesView) }
    }
}

// MARK: - Retention of images and uploads (AppDatabase+Retention on SQLite)

extension PostgresStore {
    /// As on SQLite; the contents of the files no kept row refers to any more leave the database in the same
    /// transaction (each instance deletes its own cached copy).
    public func pruneImages(endedBefore cutoff: Date, batch: Int, at date: Date) async throws -> PrunedFiles {
        try await transaction { tx in
            let images = try await tx.all("""
                UPDATE images SET state = 'pruned', updated_at = \(date)
                WHERE id IN (SELECT i.id FROM images i JOIN generations g ON g.id = i.generation
                             WHERE i.state = 'archived' AND g.completed_at < \(cutoff) ORDER BY i.id LIMIT \(batch))
                RETURNING sha256
                """) { try $0.decode(String?.self) }
            let uploads = try await tx.all("""
                UPDATE uploads SET pruned_at = \(date)
                WHERE id IN (SELECT u.id FROM uploads u JOIN generations g ON g.id = u.generation
                             WHERE u.pruned_at IS NULL AND g.completed_at < \(cutoff) ORDER BY u.id LIMIT \(batch))
                RETURNING sha256
                """) { try $0.decode(String.self) }
            var pruned = PrunedFiles()
            pruned.rows = images.count + uploads.count
            for sha256 in Set(images.compactMap { $0 } + uploads) where try await !Self.isKept(sha256, in: tx) {
                pruned.unreferenced.append(sha256)
            }
            try await tx.execute("DELETE FROM files WHERE sha256 = ANY(\(pruned.unreferenced))")
            return pruned
        }
    }

    public func isFileKept(sha256: String) async throws -> Bool {
        try await transaction { tx in try await Self.isKept(sha256, in: tx) }
    }

    public func requeueImages(sha256: String, at date: Date) async throws -> Int {
        try await transaction { tx in
            try await tx.value("""
                WITH requeued AS (
                    UPDATE images SET state = 'pending', attempts = 0, next_attempt_at = \(date), archived_at = NULL, updated_at = \(date)
                    WHERE sha256 = \(sha256) AND state = 'archived' RETURNING 1)
                SELECT count(*) FROM requeued
                """, as: Int.self) ?? 0
        }
    }

    private static func isKept(_ sha256: String, in tx: PostgresTransaction) async throws -> Bool {
        try await tx.value("""
            SELECT EXISTS (SELECT 1 FROM images WHERE sha256 = \(sha256) AND state = 'archived')
                OR EXISTS (SELECT 1 FROM uploads WHERE sha256 = \(sha256) AND pruned_at IS NULL)
                OR EXISTS (SELECT 1 FROM listing_photos WHERE launch_pending
                           AND (image_url = \(UploadedInput.reference(sha256: sha256)) OR mask_url = \(UploadedInput.reference(sha256: sha256))))
            """, as: Bool.self) ?? true
    }
}
