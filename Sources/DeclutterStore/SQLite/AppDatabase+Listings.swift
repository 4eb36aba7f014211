import Foundation
import GRDB

// MARK: - Writes: listings (PostgresStore+Listings on PostgreSQL)

extension AppDatabase {
    public func createListing(_ request: ListingRequest, at date: Date) async throws -> ListingStart {
        try await write { db in
            if let existing = try Self.listing(reference: request.reference, in: db) {
                guard existing.photosDigest == request.photosDigest else { throw StoreError.listingReferenceReused(reference: request.reference) }
                return .existing(existing)
            }
            try Self.photoBudget(in: db).check(needed: request.photos.count, allowPartial: request.allowPartial)
            try Self.checkBudget(ofKey: request.keyName, needed: request.photos.count, at: date, in: db)
            var listing = ListingRecord(request, at: date)
            try listing.insert(db)
            for (position, photo) in request.photos.enumerated() {
                var row = ListingPhotoRecord(listing: try listing.requireID(), position: position, photo: photo, createdAt: date)
                try row.insert(db)
            }
            return .created(listing)
        }
    }

    public func retryListing(reference: String, at date: Date) async throws -> ListingRetry? {
        try await write { db in
            guard var listing = try Self.listing(reference: reference, in: db) else { return nil }
            let photos = try Int64.fetchAll(db, sql: ListingSQL.retried(listing: try listing.requireID()))
            guard !photos.isEmpty else { return ListingRetry(listing: listing, queued: 0) }
            try Self.photoBudget(in: db).check(needed: photos.count, allowPartial: listing.allowPartial)
            try Self.checkBudget(ofKey: listing.keyName, needed: photos.count, at: date, in: db)
            try db.execute(sql: "UPDATE listing_photos SET launch_pending = 1, updated_at = ? WHERE id IN (\(photos.map(String.init).joined(separator: ", ")))",
                           arguments: [StoreFormat.timestamp(date)])
            listing.reopen(at: date)
            try listing.update(db)
            return ListingRetry(listing: listing, queued: photos.count)
        }
    }

    public func completeEndedListings(at date: Date, limit: Int) async throws -> Int {
        // Asked at each commit the launcher hears: a reader says whether any is due before the writer is asked.
        guard try await read({ db in try !Int64.fetchAll(db, sql: ListingSQL.ended(limit: 1)).isEmpty }) else { return 0 }
        return try await write { db in
            var completed = 0
            for id in try Int64.fetchAll(db, sql: ListingSQL.ended(limit: limit)) {
                guard let detail = try Self.listingDetail(id: id, in: db), let outcome = ListingRules.outcome(of: detail.photoStates) else { continue }
                var listing = detail.listing
                listing.complete(outcome, at: date)
                try listing.update(db)
                try Outbox.insert(Outbox.listingCompletedMessage(ListingView(listing, counts: detail.counts), at: date), in: db)
                completed += 1
            }
            return completed
        }
    }

    public func recordDeferredLaunch(forRow row: Int64, listingPhoto photo: Int64, httpStatus: Int?, reason: String, at date: Date) async throws -> WriteResult {
        try await recordDecision(.rejected(reason: reason, httpStatus: httpStatus, rawBody: nil), forRow: row, at: date, nextPollAt: nil) { db in
            try db.execute(sql: "UPDATE listing_photos SET launch_pending = 1, updated_at = ? WHERE id = ? AND generation = ? AND NOT launch_pending",
                           arguments: [StoreFormat.timestamp(date), photo, row])
        }
    }

    /// In `beginSubmission`'s transaction: the launch of listing photo `photo` is this generation's. Throws
    /// `listingPhotoTaken`, undoing the submission, when it was taken already.
    static func takeLaunch(of photo: Int64, by generation: Int64, at date: Date, in db: Database) throws {
        try db.execute(sql: "UPDATE listing_photos SET launch_pending = 0, generation = ?, updated_at = ? WHERE id = ? AND launch_pending",
                       arguments: [generation, StoreFormat.timestamp(date), photo])
        guard db.changesCount == 1 else { throw StoreError.listingPhotoTaken }
    }

    static func photoBudget(in db: Database) throws -> PhotoBudget {
        let row = try Row.fetchOne(db, sql: ListingSQL.budget)
        return PhotoBudget(remaining: row?[0], inFlight: row?[1] ?? 0, queued: row?[2] ?? 0)
    }
}

// MARK: - Reads: listings

extension AppDatabase {
    public func photoBudget() async throws -> PhotoBudget {
        try await read(Self.photoBudget)
    }

    public func listing(reference: String) async throws -> ListingDetail? {
        try await read { db in
            guard let id = try Self.listing(reference: reference, in: db)?.id else { return nil }
            return try Self.listingDetail(id: id, in: db)
        }
    }

    public func listings(matching filter: ListingFilter) async throws -> [ListingSummary] {
        try await read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            switch filter.state {
            case .none: break
            case .inProgress: conditions.append("outcome IS NULL")
            case .some(let state):
                conditions.append("outcome = ?")
                arguments.append(state.rawValue)
            }
            if let since = filter.since {
                conditions.append("created_at >= ?")
                arguments.append(StoreFormat.timestamp(since))
            }
            if let before = filter.beforeID {
                conditions.append("id < ?")
                arguments.append(before)
            }
            let filtered = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let listings = try ListingRecord.fetchAll(db, sql: "SELECT * FROM listings \(filtered) ORDER BY id DESC LIMIT \(filter.limit)",
                                                      arguments: StatementArguments(arguments))
            return try Self.summaries(of: listings, in: db)
        }
    }

    public func photosAwaitingLaunch(limit: Int) async throws -> [ListingPhotoRecord] {
        try await read { db in try ListingPhotoRecord.fetchAll(db, sql: "SELECT * FROM listing_photos WHERE launch_pending ORDER BY id LIMIT \(limit)") }
    }

    static func listing(reference: String, in db: Database) throws -> ListingRecord? {
        try ListingRecord.fetchOne(db, sql: "SELECT * FROM listings WHERE reference = ?", arguments: [reference])
    }

    static func listingDetail(id: Int64, in db: Database) throws -> ListingDetail? {
        guard let listing = try ListingRecord.fetchOne(db, key: id) else { return nil }
        let photos = try ListingPhotoRecord.fetchAll(db, sql: "SELECT * FROM listing_photos WHERE listing = ? ORDER BY position", arguments: [id])
        let rows = photos.compactMap(\.generation)
        let generations = Dictionary(try GenerationRecord.fetchAll(db, keys: rows).compactMap { record in record.id.map { ($0, record) } },
                                     uniquingKeysWith: { first, _ in first })
        var files = Dictionary(rows.map { ($0, GenerationFiles()) }, uniquingKeysWith: { first, _ in first })
        if !rows.isEmpty {
            let list = rows.map(String.init).joined(separator: ", ")
            for image in try ImageRecord.fetchAll(db, sql: "SELECT * FROM images WHERE generation IN (\(list)) ORDER BY generation, position") {
                files[image.generation]?.images.append(image)
            }
            for upload in try UploadRecord.fetchAll(db, sql: "SELECT * FROM uploads WHERE generation IN (\(list)) ORDER BY generation, role") {
                files[upload.generation]?.uploads.append(upload)
            }
        }
        let ids = photos.compactMap(\.id)
        let launches = ids.isEmpty ? [] : try Row.fetchAll(db, sql: ListingSQL.launches(photos: ids)).map { (photo: $0[0] as Int64, generation: $0[1] as Int64) }
        return ListingDetail(listing: listing, photos: photos, generations: generations, files: files,
                             earlier: ListingDetail.earlier(launches, photos: photos))
    }

    static func summaries(of listings: [ListingRecord], in db: Database) throws -> [ListingSummary] {
        let ids = listings.compactMap(\.id)
        guard !ids.isEmpty else { return [] }
        var rows: [Int64: [(state: String?, count: Int)]] = [:]
        for row in try Row.fetchAll(db, sql: ListingSQL.counts(listings: ids)) {
            rows[row[0], default: []].append((state: row[1], count: row[2]))
        }
        return listings.map { ListingSummary(listing: $0, countRows: $0.id.flatMap { rows[$0] } ?? []) }
    }
}
