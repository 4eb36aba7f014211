import Foundation

// The local API's JSON for listings (docs/listings.md): a set of photos launched, followed, paid for and delivered
// as one unit. The daemon encodes them, the client decodes them.

/// Where a listing stands: in progress until every photo has ended, then completed (every photo SUCCEEDED) or
/// completed with failures (some ended FAILED, REJECTED or LOST; a retry may launch those again).
public enum ListingState: String, Codable, Sendable, CaseIterable {
    case inProgress = "in_progress"
    case completed
    case completedWithFailures = "completed_with_failures"
}

/// A listing: its state, counts and (when read alone) each photo.
public struct ListingView: Codable, Sendable, Equatable {
    public let reference: String
    public let state: String
    public let allowPartial: Bool
    /// How many photos it has.
    public let photoCount: Int
    /// Per state of each photo's newest generation, lowercased (`"succeeded": 3`), and `queued` for photos not
    /// launched yet.
    public let counts: [String: Int]
    public let createdAt: String
    public let updatedAt: String
    /// When every photo had ended (the `listing.completed` message); nil while in progress.
    public let completedAt: String?
    /// Each photo in the order sent; nil in lists (read one listing to see them).
    public let photos: [ListingPhotoView]?
    /// The name of the local API key that recorded it; nil without one.
    public let key: String?

    enum CodingKeys: String, CodingKey {
        case reference, state, counts, photos, key
        case allowPartial = "allow_partial", photoCount = "photo_count", createdAt = "created_at", updatedAt = "updated_at"
        case completedAt = "completed_at"
    }

    package init(reference: String, state: String, allowPartial: Bool, photoCount: Int, counts: [String: Int], createdAt: String,
                 updatedAt: String, completedAt: String?, photos: [ListingPhotoView]?, key: String?) {
        self.reference = reference
        self.state = state
        self.allowPartial = allowPartial
        self.photoCount = photoCount
        self.counts = counts
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.completedAt = completedAt
        self.photos = photos
        self.key = key
    }
}

/// One photo of a listing, as its newest generation shows it.
public struct ListingPhotoView: Codable, Sendable, Equatable {
    /// The client's name for it (its file name), unique in the listing.
    public let name: String
    /// The newest generation's local id; nil until it is launched.
    public let generation: Int64?
    public let generationID: String?
    /// The newest generation's state, or `QUEUED` before its launch.
    public let status: String
    public let statusReason: String?
    /// The newest generation's result images in the archive.
    public let images: [ArchivedImageView]
    /// The photo as sent: its URL, or `upload:<sha256>` for a file.
    public let imageURL: String
    /// Where the local API serves the uploaded photo, while it is kept; nil for a URL.
    public let inputURL: String?
    /// Generations launched for it before the newest (by a retry), oldest first.
    public let earlierGenerations: [Int64]

    enum CodingKeys: String, CodingKey {
        case name, generation, status, images
        case generationID = "generation_id", statusReason = "status_reason", imageURL = "image_url", inputURL = "input_url"
        case earlierGenerations = "earlier_generations"
    }

    /// The state of a photo not launched yet.
    public static let queued = "QUEUED"

    package init(name: String, generation: Int64?, generationID: String?, status: String, statusReason: String?, images: [ArchivedImageView],
                 imageURL: String, inputURL: String?, earlierGenerations: [Int64]) {
        self.name = name
        self.generation = generation
        self.generationID = generationID
        self.status = status
        self.statusReason = statusReason
        self.images = images
        self.imageURL = imageURL
        self.inputURL = inputURL
        self.earlierGenerations = earlierGenerations
    }
}

/// One page of `GET /v1/listings`, newest first.
public struct ListingListView: Codable, Sendable, Equatable {
    public let listings: [ListingView]
    public let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case listings, nextCursor = "next_cursor"
    }

    package init(listings: [ListingView], nextCursor: String?) {
        self.listings = listings
        self.nextCursor = nextCursor
    }
}

/// `409 not_enough_photos`: the listing needs more photos than the daemon believes are left.
public struct PhotoShortage: Codable, Sendable, Equatable {
    public let needed: Int
    public let left: Int

    package init(needed: Int, left: Int) {
        self.needed = needed
        self.left = left
    }
}

/// A listing's photos as people count them: done (SUCCEEDED), failed (FAILED, REJECTED, LOST), pending (the rest:
/// queued or at the service), and photos spent (launched, accepted and not refunded).
public struct ListingTally: Sendable, Equatable {
    public let done: Int
    public let failed: Int
    public let pending: Int
    public let spent: Int

    public init(_ listing: ListingView) {
        let counts = listing.counts
        func count(_ states: [GenerationState]) -> Int { states.reduce(0) { $0 + (counts[$1.rawValue.lowercased()] ?? 0) } }
        done = count([.succeeded])
        failed = count(GenerationState.allCases.filter(\.endedWithoutResult))
        pending = listing.photoCount - done - failed
        spent = count([.starting, .processing, .succeeded])
    }
}
