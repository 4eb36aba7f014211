import Foundation
import PostgresNIO

// MARK: - Writes: listings (AppDatabase+Listings on SQLite)

extension PostgresStore {
    /// Instances recording listings or retries at once take turns (an advisory lock), so the photos each counts as
    /// queued include what the others committed: the photo rule holds across instances.
    public func createListing(_ request: ListingRequest, at date: Date) async throws -> ListingStart {
        try await transaction { tx in
            try await tx.lock("listings", "budget")
            if let existing = try await tx.listing(reference: request.reference) {
                guard existing.photosDigest == request.photosDigest else { throw StoreError.listingReferenceReused(reference: request.reference) }
                return .existing(existing)
            }
            tx.outbox.note()  // the launchers, here and on the other instances, follow the commits
            try await tx.photoBudget().check(needed: request.photos.count, allowPartial: request.allowPartial)
            try await tx.checkBudget(ofKey: request.keyName, needed: request.photos.count, at: date)
            var listing = ListingRecord(request, at: date)
            listing.id = try await tx.value(listing.postgresValues.insert(into: "listings", then: "RETURNING id"), as: Int64.self)
            for (position, photo) in request.photos.enumerated() {
                let row = ListingPhotoRecord(listing: try listing.requireID(), position: position, photo: photo, createdAt: date)
                try await tx.execute(row.postgresValues.insert(into: "listing_photos", then: ""))
            }
            return .created(listing)
        }
    }

    public func retryListing(reference: String, at date: Date) async throws -> ListingRetry? {
        try await transaction { tx in
            tx.outbox.note()
            try await tx.lock("listings", "budget")
            guard var listing = try await tx.listing(reference: reference, lock: true) else { return nil }
            let photos = try await tx.all(PostgresQuery(unsafeSQL: ListingSQL.retried(listing: try listing.requireID()))) { try $0.decode(Int64.self) }
            guard !photos.isEmpty else { return ListingRetry(listing: listing, queued: 0) }
            try await tx.photoBudget().check(needed: photos.count, allowPartial: listing.allowPartial)
            try await tx.checkBudget(ofKey: listing.keyName, needed: photos.count, at: date)
            try await tx.execute("UPDATE listing_photos SET launch_pending = true, updated_at = \(date) WHERE id = ANY(\(photos))")
            listing.reopen(at: date)
            try await tx.execute(listing.postgresValues.update("listings", id: try listing.requireID()))
            return ListingRetry(listing: listing, queued: photos.count)
        }
    }

    public func recordDeferredLaunch(forRow row: Int64, listingPhoto photo: Int64, httpStatus: Int?, reason: String, at date: Date) async throws -> WriteResult {
        try await recordDecision(.rejected(reason: reason, httpStatus: httpStatus, rawBody: nil), forRow: row, at: date, nextPollAt: nil) { tx in
            tx.outbox.note()
            try await tx.execute("""
                UPDATE listing_photos SET launch_pending = true, updated_at = \(date) WHERE id = \(photo) AND generation = \(row) AND NOT launch_pending
                """)
        }
    }

    public func completeEndedListings(at date: Date, limit: Int) async throws -> Int {
        // Asked at each commit the launcher hears: a plain read says whether any is due before a transaction locks rows.
        guard try await !all(PostgresQuery(unsafeSQL: ListingSQL.ended(limit: 1)), { try $0.decode(Int64.self) }).isEmpty else { return 0 }
        return try await transaction { tx in
            var completed = 0
            for id in try await tx.all(PostgresQuery(unsafeSQL: ListingSQL.ended(limit: limit) + " FOR UPDATE OF l SKIP LOCKED"), { try $0.decode(Int64.self) }) {
                guard let detail = try await tx.listingDetail(id: id), let outcome = ListingRules.outcome(of: detail.photoStates) else { continue }
                var listing = detail.listing
                listing.complete(outcome, at: date)
                try await tx.execute(listing.postgresValues.update("listings", id: id))
                try await tx.insertMessages([Outbox.listingCompletedMessage(ListingView(listing, counts: detail.counts), at: date)])
                completed += 1
            }
            return completed
        }
    }
}

// MARK: - Reads: listings

extension PostgresStore {
    public func photoBudget() async throws -> PhotoBudget {
        try await transaction { tx in try await tx.photoBudget() }
    }

    public func listing(reference: String) async throws -> ListingDetail? {
        try await transaction { tx in
            guard let id = try await tx.listing(reference: reference)?.id else { return nil }
            return try await tx.listingDetail(id: id)
        }
    }

    public func listings(matching filter: ListingFilter) async throws -> [ListingSummary] {
        try await transaction { tx in
            var query: PostgresQuery = "SELECT \(unescaped: ListingRecord.postgresColumns) FROM listings WHERE true"
            switch filter.state {
            case .none: break
            case .inProgress: query.sql += " AND outcome IS NULL"
            case .some(let state): query.append(" AND outcome = ", state.rawValue)
            }
            if let since = filter.since { query.append(" AND created_at >= ", since) }
            if let before = filter.beforeID { query.append(" AND id < ", before) }
            query.append(" ORDER BY id DESC LIMIT ", filter.limit)
            return try await tx.summaries(of: try await tx.all(query, ListingRecord.init(postgres:)))
        }
    }

    public func photosAwaitingLaunch(limit: Int) async throws -> [ListingPhotoRecord] {
        try await all("""
            SELECT \(unescaped: ListingPhotoRecord.postgresColumns) FROM listing_photos WHERE launch_pending ORDER BY id LIMIT \(limit)
            """, ListingPhotoRecord.init(postgres:))
    }
}

extension PostgresTransaction {
    func listing(reference: String, lock: Bool = false) async throws -> ListingRecord? {
        try await all("""
            SELECT \(unescaped: ListingRecord.postgresColumns) FROM listings WHERE reference = \(reference) \(unescaped: lock ? "FOR UPDATE" : "")
            """, ListingRecord.init(postgres:)).first
    }

    func photoBudget() async throws -> PhotoBudget {
        let row = try await all(PostgresQuery(unsafeSQL: ListingSQL.budget)) { try $0.decode((Int?, Int, Int).self) }.first
        return PhotoBudget(remaining: row?.0, inFlight: row?.1 ?? 0, queued: row?.2 ?? 0)
    }

    /// In `beginSubmission`'s transaction: the launch of listing photo `photo` is this generation's. An instance
    /// taking the same photo at once waits for this one's commit, then finds it taken and undoes its submission.
    func takeLaunch(of photo: Int64, by generation: Int64, at date: Date) async throws {
        let taken = try await value("""
            UPDATE listing_photos SET launch_pending = false, generation = \(generation), updated_at = \(date)
            WHERE id = \(photo) AND launch_pending RETURNING id
            """, as: Int64.self)
        guard taken != nil else { throw StoreError.listingPhotoTaken }
    }

    func listingDetail(id: Int64) async throws -> ListingDetail? {
        guard let listing = try await all("SELECT \(unescaped: ListingRecord.postgresColumns) FROM listings WHERE id = \(id)",
                                          ListingRecord.init(postgres:)).first else { return nil }
        let photos = try await all("""
            SELECT \(unescaped: ListingPhotoRecord.postgresColumns) FROM listing_photos WHERE listing = \(id) ORDER BY position
            """, ListingPhotoRecord.init(postgres:))
        let rows = photos.compactMap(\.generation)
        var generations: [Int64: GenerationRecord] = [:]
        for generation in try await all("SELECT \(unescaped: GenerationRecord.postgresColumns) FROM generations WHERE id = ANY(\(rows))",
                                        GenerationRecord.init(postgres:)) {
            if let row = generation.id { generations[row] = generation }
        }
        let ids = photos.compactMap(\.id)
        var launches: [(photo: Int64, generation: Int64)] = []
        if !ids.isEmpty {
            for (photo, generation) in try await all(PostgresQuery(unsafeSQL: ListingSQL.launches(photos: ids)), { try $0.decode((Int64, Int64).self) }) {
                launches.append((photo: photo, generation: generation))
            }
        }
        // Every launched photo's generation has its entry, files or none, as on SQLite.
        let found = try await files(of: rows)
        let files = Dictionary(rows.map { ($0, found[$0] ?? GenerationFiles()) }, uniquingKeysWith: { first, _ in first })
        return ListingDetail(listing: listing, photos: photos, generations: generations, files: files,
                             earlier: ListingDetail.earlier(launches, photos: photos))
    }

    func summaries(of listings: [ListingRecord]) async throws -> [ListingSummary] {
        let ids = listings.compactMap(\.id)
        guard !ids.isEmpty else { return [] }
        var rows: [Int64: [(state: String?, count: Int)]] = [:]
        for (listing, state, count) in try await all(PostgresQuery(unsafeSQL: ListingSQL.counts(listings: ids)), {
            try $0.decode((Int64, String?, Int).self)
        }) {
            rows[listing, default: []].append((state: state, count: count))
        }
        return listings.map { ListingSummary(listing: $0, countRows: $0.id.flatMap { rows[$0] } ?? []) }
    }
}
