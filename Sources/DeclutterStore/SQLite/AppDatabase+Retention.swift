import Foundation
import GRDB

/// What the store keeps of its history: events and messages older than these are pruned; so are the archived
/// files of generations that ended longer than `images` ago, when it is set.
public struct HistoryRetention: Sendable, Equatable {
    public var events: Duration
    public var messages: Duration
    /// nil: archived images and uploads are kept for good.
    public var images: Duration?

    public init(events: Duration = .seconds(90 * 86_400), messages: Duration = .seconds(30 * 86_400), images: Duration? = nil) {
        self.events = events
        self.messages = messages
        self.images = images
    }
}

// MARK: - Writes: pruning, a small batch at a time

extension AppDatabase {
    /// Holds the write lock for one small delete, in the group commit.
    public func pruneHead(of table: HistoryTable, before cutoff: Date, batch: Int) async throws -> Int {
        try await write { db in
            try db.execute(sql: """
                DELETE FROM \(table.rawValue) WHERE id IN (
                    SELECT id FROM (SELECT id, \(table.timeColumn) AS at FROM \(table.rawValue) ORDER BY id LIMIT ?) WHERE at < ?)
                """, arguments: [batch, StoreFormat.timestamp(cutoff)])
            return db.changesCount
        }
    }
}

/// One batch of `retention.images`: how many images and uploads were marked pruned, and the files no kept row
/// refers to any more, for the caller to delete (after the commit: a crash in between leaves a file too many,
/// never a row whose file is gone).
public struct PrunedFiles: Sendable, Equatable {
    public var rows = 0
    public var unreferenced: [String] = []

    public init() {}
}

extension AppDatabase {
    /// Marks pruned up to `batch` archived images and `batch` uploads of generations that ended before `cutoff`.
    /// Walks the archived images in id order (the `images_by_state` index), each joined to its generation.
    public func pruneImages(endedBefore cutoff: Date, batch: Int, at date: Date) async throws -> PrunedFiles {
        try await write { db in
            let before = StoreFormat.timestamp(cutoff)
            let images = try Row.fetchAll(db, sql: """
                SELECT i.id, i.sha256 FROM images i JOIN generations g ON g.id = i.generation
                WHERE i.state = 'archived' AND g.completed_at < ? ORDER BY i.id LIMIT ?
                """, arguments: [before, batch])
            let uploads = try Row.fetchAll(db, sql: """
                SELECT u.id, u.sha256 FROM uploads u JOIN generations g ON g.id = u.generation
                WHERE u.pruned_at IS NULL AND g.completed_at < ? ORDER BY u.id LIMIT ?
                """, arguments: [before, batch])
            let now = StoreFormat.timestamp(date)
            for row in images {
                try db.execute(sql: "UPDATE images SET state = 'pruned', updated_at = ? WHERE id = ?", arguments: [now, row["id"] as Int64])
            }
            for row in uploads {
                try db.execute(sql: "UPDATE uploads SET pruned_at = ? WHERE id = ?", arguments: [now, row["id"] as Int64])
            }
            var pruned = PrunedFiles()
            pruned.rows = images.count + uploads.count
            for sha256 in Set((images + uploads).compactMap { $0["sha256"] as String? }) where try !Self.isKept(sha256, in: db) {
                pruned.unreferenced.append(sha256)
            }
            return pruned
        }
    }

    /// Whether an archived image or an unpruned upload refers to the file now.
    public func isFileKept(sha256: String) async throws -> Bool {
        try await read { db in try Self.isKept(sha256, in: db) }
    }

    /// Puts the archived images of a file back in the queue, due at once: for a file deleted by retention just as
    /// a new download of the same bytes was recorded. Returns how many.
    public func requeueImages(sha256: String, at date: Date) async throws -> Int {
        try await write { db in
            let now = StoreFormat.timestamp(date)
            try db.execute(sql: """
                UPDATE images SET state = 'pending', attempts = 0, next_attempt_at = ?, archived_at = NULL, updated_at = ?
                WHERE sha256 = ? AND state = 'archived'
                """, arguments: [now, now, sha256])
            return db.changesCount
        }
    }

    /// Whether an archived image or an unpruned upload still refers to the file.
    static func isKept(_ sha256: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM images WHERE sha256 = ? AND state = 'archived')
                OR EXISTS (SELECT 1 FROM uploads WHERE sha256 = ? AND pruned_at IS NULL)
                OR EXISTS (SELECT 1 FROM listing_photos WHERE launch_pending AND (image_url = ? OR mask_url = ?))
            """, arguments: [sha256, sha256, UploadedInput.reference(sha256: sha256), UploadedInput.reference(sha256: sha256)]) ?? true
    }
}
