// The listing queries both engines run as they are: no parameters (a limit is an integer written in), and
// booleans tested bare (`launch_pending`, `NOT launch_pending`), which SQLite reads as PostgreSQL does.

enum ListingSQL {
    /// The three numbers of `PhotoBudget`, in one row: the last reading, the submissions in flight, the photos queued.
    static let budget = """
        SELECT (SELECT remaining_photos FROM quota_history ORDER BY id DESC LIMIT 1),
               (SELECT count(*) FROM generations WHERE status = 'SUBMITTING'),
               (SELECT count(*) FROM listing_photos WHERE launch_pending)
        """

    /// Listings in progress whose every photo has ended (launched, its newest generation no longer pending): the
    /// ones `listing.completed` is due for.
    static func ended(limit: Int) -> String {
        """
        SELECT l.id FROM listings l WHERE l.outcome IS NULL AND NOT EXISTS (
            SELECT 1 FROM listing_photos p LEFT JOIN generations g ON g.id = p.generation
            WHERE p.listing = l.id AND (p.launch_pending OR g.id IS NULL OR g.status IN (\(GenerationState.pendingSQL))))
        ORDER BY l.id LIMIT \(limit)
        """
    }

    /// The photos of listing `id` whose newest generation ended without a result: what a retry launches again.
    static func retried(listing id: Int64) -> String {
        """
        SELECT p.id FROM listing_photos p JOIN generations g ON g.id = p.generation
        WHERE p.listing = \(id) AND NOT p.launch_pending AND g.status IN (\(GenerationState.endedWithoutResultSQL))
        """
    }

    /// Per listing of `ids` and state of its photos' newest generations (NULL: waiting for a launch), how many photos.
    static func counts(listings ids: [Int64]) -> String {
        """
        SELECT p.listing, CASE WHEN p.launch_pending THEN NULL ELSE g.status END AS state, count(*)
        FROM listing_photos p LEFT JOIN generations g ON g.id = p.generation
        WHERE p.listing IN (\(ids.map(String.init).joined(separator: ", ")))
        GROUP BY p.listing, state
        """
    }

    /// Per photo of `ids`, every generation launched for it, oldest first.
    static func launches(photos ids: [Int64]) -> String {
        """
        SELECT listing_photo, id FROM generations WHERE listing_photo IN (\(ids.map(String.init).joined(separator: ", "))) ORDER BY id
        """
    }
}

extension ListingSummary {
    /// A summary from the rows of `ListingSQL.counts` for this listing.
    init(listing: ListingRecord, countRows: [(state: String?, count: Int)]) {
        var counts: [GenerationState?: Int] = [:]
        for row in countRows { counts[row.state.flatMap(GenerationState.init(rawValue:)), default: 0] += row.count }
        self.init(listing: listing, counts: counts)
    }
}

extension ListingDetail {
    /// `launches` as `ListingSQL.launches` reads them: per photo, the generations before its newest.
    static func earlier(_ launches: [(photo: Int64, generation: Int64)], photos: [ListingPhotoRecord]) -> [Int64: [Int64]] {
        var earlier: [Int64: [Int64]] = [:]
        let newest = Dictionary(photos.compactMap { photo in photo.id.map { ($0, photo.generation) } }, uniquingKeysWith: { first, _ in first })
        for launch in launches where newest[launch.photo] != .some(launch.generation) {
            earlier[launch.photo, default: []].append(launch.generation)
        }
        return earlier
    }
}
