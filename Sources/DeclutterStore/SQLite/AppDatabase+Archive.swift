import Foundation
import GRDB

/// What one download attempt of a result image came to, as the archiver hands it to the store.
public enum ImageAttemptResult: Sendable, Equatable {
    case archived(ArchivedFileFacts)
    /// Failed; tried again at `retryAt`.
    case retry(reason: String, httpStatus: Int?, retryAt: Date)
    /// Failed for good: no attempt left, or retrying cannot help.
    case failed(reason: String, httpStatus: Int?)
}

/// How many result images stand in each state, and the bytes the archived ones take.
public struct ArchiveCounts: Sendable, Equatable {
    public var pending = 0
    public var archived = 0
    public var failed = 0
    public var pruned = 0
    public var archivedBytes: Int64 = 0

    public init() {}

    /// Counts `count` images in `state`; the bytes count for archived ones.
    mutating func add(_ count: Int, bytes: Int64, in state: ImageState) {
        switch state {
        case .pending: pending += count
        case .archived: archived += count; archivedBytes += bytes
        case .failed: failed += count
        case .pruned: pruned += count
        }
    }
}

extension ImageRecord {
    /// What an attempt's result does to a pending image.
    mutating func record(_ result: ImageAttemptResult, at date: Date) {
        updatedAt = date
        switch result {
        case .archived(let file):
            keep(file, at: date)
        case .retry(let reason, let status, let retryAt):
            nextAttemptAt = retryAt
            lastError = reason
            lastHTTPStatus = status
        case .failed(let reason, let status):
            state = .failed
            nextAttemptAt = nil
            lastError = reason
            lastHTTPStatus = status
        }
    }
}

// MARK: - The archive queue

extension AppDatabase {
    /// Pending images whose attempt is due at `now`, leaving out `busy` ones (downloads in flight), oldest due first.
    public func dueImages(at now: Date, excluding busy: Set<Int64>, limit: Int) async throws -> [ImageRecord] {
        try await read { db in
            try ImageRecord.fetchAll(db, sql: """
                SELECT * FROM images WHERE state = 'pending' AND next_attempt_at <= ? \(Self.notIn(busy))
                ORDER BY next_attempt_at LIMIT ?
                """, arguments: [StoreFormat.timestamp(now), limit])
        }
    }

    /// The nearest attempt of a pending image not in `busy`, for the archiver to sleep until (the `images_due` index).
    public func nextImageAttemptDate(excluding busy: Set<Int64>) async throws -> Date? {
        try await read { db in
            try String.fetchOne(db, sql: """
                SELECT next_attempt_at FROM images WHERE state = 'pending' \(Self.notIn(busy)) ORDER BY next_attempt_at LIMIT 1
                """).flatMap(StoreFormat.date(fromTimestamp:))
        }
    }

    /// Counts an attempt as made before it is made, and puts the image's next try at `retryAt`: a download that
    /// kills the process (or is cut by a stop) then uses up its attempt, and no URL can hold the archive in a
    /// loop across restarts. Returns false, having written nothing, when the image is no longer pending.
    public func beginImageAttempt(_ id: Int64, at date: Date, retryAt: Date) async throws -> Bool {
        try await write { db in
            try db.execute(sql: """
                UPDATE images SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'
                """, arguments: [StoreFormat.timestamp(retryAt), StoreFormat.timestamp(date), id])
            return db.changesCount == 1
        }
    }

    /// Records how an attempt begun with `beginImageAttempt` ended. Once none of its generation's images is pending any more, the
    /// generation's `generation.archived` message goes out in the same transaction. Returns the image as it now
    /// stands; nil when it is not pending (already settled, or gone).
    @discardableResult
    public func recordImageAttempt(_ id: Int64, _ result: ImageAttemptResult, at date: Date) async throws -> ImageRecord? {
        try await write { db in
            guard var image = try ImageRecord.fetchOne(db, key: id), image.state == .pending else { return nil }
            image.record(result, at: date)
            try image.update(db)
            try Self.announceIfArchived(generation: image.generation, at: date, in: db)
            return image
        }
    }

    /// `generation.archived` once every image of the generation has settled (archived or failed).
    private static func announceIfArchived(generation row: Int64, at date: Date, in db: Database) throws {
        let pending = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM images WHERE generation = ? AND state = 'pending')",
                                        arguments: [row]) ?? true
        guard !pending, var generation = try GenerationRecord.fetchOne(db, key: row) else { return }
        generation.version += 1
        generation.updatedAt = date
        try generation.update(db)
        try Outbox.publish(.generationArchived, about: generation, at: date, in: db)
    }

    public func archiveCounts() async throws -> ArchiveCounts {
        try await read { db in
            var counts = ArchiveCounts()
            // The tallies the triggers keep (migration v5): no scan of `images` per scrape.
            for (key, count, bytes) in try Tally.read("images.state", in: db) {
                if let state = ImageState(rawValue: key) { counts.add(count, bytes: bytes, in: state) }
            }
            return counts
        }
    }
}

// MARK: - The files themselves: in the archive folder, which is the copy

extension AppDatabase {
    public var keepsFileContents: Bool { false }

    public func keepFileContents(_ file: ArchivedFileFacts, _ contents: Data, at date: Date) async throws {}

    public func fileContents(sha256: String) async throws -> Data? { nil }
}

// MARK: - Reads: a generation's files

extension AppDatabase {
    /// The archived images and uploaded inputs of one generation, in order.
    public func files(ofRow row: Int64) async throws -> GenerationFiles {
        try await read { db in try GenerationFiles.read(of: row, in: db) }
    }

    /// The image at `index` (from 0) of a generation, in any state.
    public func image(ofRow row: Int64, index: Int) async throws -> ImageRecord? {
        try await read { db in
            try ImageRecord.filter(Column("generation") == row && Column("position") == index).fetchOne(db)
        }
    }

    /// A generation's uploaded photo or mask.
    public func upload(ofRow row: Int64, role: UploadRole) async throws -> UploadRecord? {
        try await read { db in
            try UploadRecord.filter(Column("generation") == row && Column("role") == role.rawValue).fetchOne(db)
        }
    }

    /// The upload a capability token's hash opens, with its generation (whose state says whether it is still served).
    public func upload(tokenHash: String) async throws -> (UploadRecord, GenerationRecord)? {
        try await read { db in
            guard let upload = try UploadRecord.filter(Column("token_hash") == tokenHash).fetchOne(db),
                  let generation = try GenerationRecord.fetchOne(db, key: upload.generation) else { return nil }
            return (upload, generation)
        }
    }

    /// A file the archive keeps for an upload: the facts of any upload with this SHA-256 (a variation that reuses
    /// its parent's uploaded photo mints a new token for the same file).
    public func uploadedFile(sha256: String) async throws -> ArchivedFileFacts? {
        try await read { db in
            try UploadRecord.filter(Column("sha256") == sha256 && Column("pruned_at") == nil).fetchOne(db)?.file
        }
    }
}

extension GenerationFiles {
    static func read(of row: Int64, in db: Database) throws -> GenerationFiles {
        GenerationFiles(
            images: try ImageRecord.fetchAll(db.cachedStatement(sql: "SELECT * FROM images WHERE generation = ? ORDER BY position"),
                                             arguments: [row]),
            uploads: try UploadRecord.fetchAll(db.cachedStatement(sql: "SELECT * FROM uploads WHERE generation = ? ORDER BY role"),
                                               arguments: [row]))
    }
}

extension ImageRecord {
    /// A result image as it is queued: pending, or failed past the first `maximumPerGeneration`.
    static func queued(generation row: Int64, position: Int, sourceURL url: String, at date: Date) -> ImageRecord {
        var image = ImageRecord(generation: row, position: position, sourceURL: url, at: date)
        if position >= maximumPerGeneration {
            // A callback body holds thousands of URLs: one leaked callback URL must not fill the disk.
            image.state = .failed
            image.nextAttemptAt = nil
            image.lastError = "not archived: only the first \(maximumPerGeneration) images of a generation are"
        }
        return image
    }

    /// The result images of one generation that are downloaded; the service returns a handful.
    public static let maximumPerGeneration = 16
}
