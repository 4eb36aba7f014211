import DeclutterStore
import Foundation

/// `GET /listings`: the listings newest first, with their counts, 50 a page.
struct ListingListPage: Sendable {
    struct Row: Sendable {
        let reference: String
        let state: String
        let photos: Int
        let done: Int
        let failed: Int
        let pending: Int
        let createdAt: String
    }

    let frame = PageFrame("listings")
    let rows: [Row]
    let hasRows: Bool
    let hasNext: Bool
    let nextLink: String

    static let pageSize = 50

    init(_ listings: [ListingView], nextCursor: String?) {
        rows = listings.map {
            let tally = ListingTally($0)
            return Row(reference: $0.reference, state: $0.state, photos: $0.photoCount, done: tally.done, failed: tally.failed,
                       pending: tally.pending, createdAt: $0.createdAt)
        }
        hasRows = !rows.isEmpty
        hasNext = nextCursor != nil
        nextLink = nextCursor.map { "/listings?cursor=\($0)" } ?? ""
    }
}

/// `GET /listings/{reference}`: a listing's photos as a grid of before/after pairs whose states follow the event
/// stream, the retry button, and the link to its results as one zip. Pictures follow `GenerationImages`' rule: an
/// `<img>` only ever shows the daemon's own copies (an uploaded photo, an archived result).
struct ListingPage: Sendable {
    struct Photo: Sendable {
        let name: String
        let generation: String
        let hasGeneration: Bool
        let status: String
        let statusReason: String
        let hasStatusReason: Bool
        let before: String
        let hasBefore: Bool
        let beforeLink: String
        let hasBeforeLink: Bool
        let after: String
        let hasAfter: Bool
        let earlier: String
        let hasEarlier: Bool
    }

    let frame = PageFrame("listing")
    let reference: String
    let state: String
    let photoCount: Int
    let done: Int
    let failed: Int
    let pending: Int
    let canRetry: Bool
    let zipLink: String
    let createdAt: String
    let photos: [Photo]

    init(_ listing: ListingView) {
        reference = listing.reference
        state = listing.state
        photoCount = listing.photoCount
        let tally = ListingTally(listing)
        done = tally.done
        failed = tally.failed
        pending = tally.pending
        canRetry = tally.failed > 0 && listing.state != ListingState.inProgress.rawValue
        zipLink = "/v1/listings/\(listing.reference)/results.zip"
        createdAt = listing.createdAt
        photos = (listing.photos ?? []).map { photo in
            let after = photo.images.first { $0.state == ImageState.archived.rawValue }?.url
            let beforeLink = photo.inputURL == nil ? GenerationImages.webURL(photo.imageURL) : nil
            return Photo(name: photo.name, generation: photo.generation.map(String.init) ?? "", hasGeneration: photo.generation != nil,
                         status: photo.status, statusReason: photo.statusReason ?? "", hasStatusReason: photo.statusReason != nil, before: photo.inputURL ?? "", hasBefore: photo.inputURL != nil,
                         beforeLink: beforeLink ?? "", hasBeforeLink: beforeLink != nil, after: after ?? "", hasAfter: after != nil,
                         earlier: photo.earlierGenerations.map(String.init).joined(separator: ", "), hasEarlier: !photo.earlierGenerations.isEmpty)
        }
    }
}
