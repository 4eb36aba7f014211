import Crypto
import Foundation

/// A listing: a row of `listings` (its columns: `Columns/ListingColumns.swift`). Its photos are rows of
/// `listing_photos`; each launch of a photo is a generation whose `listing_photo` names it.
public struct ListingRecord: Sendable, Equatable {
    public var id: Int64?
    /// The client's own name for it: unique.
    public var reference: String
    /// Launch what the photos left allow, rather than refusing the whole listing.
    public var allowPartial: Bool
    /// What makes a second request with this reference "the same listing": a digest of its photos.
    public var photosDigest: String
    public var photoCount: Int
    /// Set once every photo has ended, with the `listing.completed` message; cleared by a retry.
    public var outcome: ListingState?
    public var createdAt: Date
    public var updatedAt: Date
    public var completedAt: Date?
    /// The local API key that recorded it: its photos' launches are that key's, counted in its budget.
    public var keyName: String?

    public init(reference: String, allowPartial: Bool, photosDigest: String, photoCount: Int, createdAt: Date) {
        self.reference = reference
        self.allowPartial = allowPartial
        self.photosDigest = photosDigest
        self.photoCount = photoCount
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    /// A new listing as `request` asks for it.
    init(_ request: ListingRequest, at date: Date) {
        self.init(reference: request.reference, allowPartial: request.allowPartial, photosDigest: request.photosDigest,
                  photoCount: request.photos.count, createdAt: date)
        keyName = request.keyName
    }

    /// In progress until it has an outcome.
    public var state: ListingState { outcome ?? .inProgress }
}

/// One photo of a listing: what to launch, and where its launches stand.
public struct ListingPhotoRecord: Sendable, Equatable {
    public var id: Int64?
    public var listing: Int64
    /// Its place in the listing, from 0.
    public var position: Int
    /// The client's name for it (a file name), unique in the listing.
    public var name: String
    /// A URL, or `upload:<sha256>` for a file kept in the archive.
    public var imageURL: String
    public var maskURL: String?
    public var auto: Bool?
    /// The uploaded files its launch hands to the service (the photo, maybe a mask).
    public var files: [ListingFile]
    /// Waiting for a launch: set when the listing is recorded and by a retry, cleared in the transaction that
    /// records the launch's generation (so no photo is launched twice, even across instances).
    public var launchPending: Bool
    /// Its newest generation; nil until its first launch.
    public var generation: Int64?
    public var createdAt: Date
    public var updatedAt: Date

    public init(listing: Int64, position: Int, photo: ListingPhotoRequest, createdAt: Date) {
        self.listing = listing
        self.position = position
        self.name = photo.name
        self.imageURL = photo.imageURL
        self.maskURL = photo.maskURL
        self.auto = photo.auto
        self.files = photo.files
        self.launchPending = true
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}

/// A file kept in the archive for a listing's photo, with the role it plays in the launch.
public struct ListingFile: Codable, Sendable, Equatable {
    public var role: UploadRole
    public var file: ArchivedFileFacts

    public init(role: UploadRole, file: ArchivedFileFacts) {
        self.role = role
        self.file = file
    }
}

/// One photo of a listing as the client sent it, validated.
public struct ListingPhotoRequest: Sendable, Equatable {
    public var name: String
    public var imageURL: String
    public var maskURL: String?
    public var auto: Bool?
    public var files: [ListingFile]

    public init(name: String, imageURL: String, maskURL: String? = nil, auto: Bool? = nil, files: [ListingFile] = []) {
        self.name = name
        self.imageURL = imageURL
        self.maskURL = maskURL
        self.auto = auto
        self.files = files
    }
}

/// A listing as the client sent it, validated.
public struct ListingRequest: Sendable, Equatable {
    public var reference: String
    public var allowPartial: Bool
    public var photos: [ListingPhotoRequest]
    /// The local API key recording it: its budget must cover the photos.
    public var keyName: String?

    public init(reference: String, allowPartial: Bool, photos: [ListingPhotoRequest], keyName: String? = nil) {
        self.reference = reference
        self.allowPartial = allowPartial
        self.photos = photos
        self.keyName = keyName
    }

    /// The same photos under the same names, in the same order, with the same options: an uploaded file counts by
    /// its bytes (its SHA-256), a URL as written.
    public var photosDigest: String {
        let parts = photos.map { [$0.name, $0.imageURL, $0.maskURL ?? "", $0.auto.map { "\($0)" } ?? ""].joined(separator: "\u{1F}") }
        return SHA256.hash(data: Data(parts.joined(separator: "\u{1E}").utf8)).hexString
    }
}

/// What recording a listing did.
public enum ListingStart: Sendable, Equatable {
    case created(ListingRecord)
    /// The reference was seen before with the same photos: nothing new was recorded.
    case existing(ListingRecord)
}

/// A listing with each photo, its newest generation and files, and the generations launched for it before.
public struct ListingDetail: Sendable, Equatable {
    public var listing: ListingRecord
    public var photos: [ListingPhotoRecord]
    /// The newest generation of each launched photo, by id.
    public var generations: [Int64: GenerationRecord]
    /// The archived images and uploads of those generations, by generation id.
    public var files: [Int64: GenerationFiles]
    /// Per photo id, the generations launched for it before the newest, oldest first.
    public var earlier: [Int64: [Int64]]

    public init(listing: ListingRecord, photos: [ListingPhotoRecord], generations: [Int64: GenerationRecord],
                files: [Int64: GenerationFiles], earlier: [Int64: [Int64]]) {
        self.listing = listing
        self.photos = photos
        self.generations = generations
        self.files = files
        self.earlier = earlier
    }

    /// The state of each photo: its newest generation's, nil for one not launched yet (or waiting for a relaunch).
    public var photoStates: [GenerationState?] {
        photos.map { $0.launchPending ? nil : $0.generation.flatMap { generations[$0]?.status } }
    }

    /// How many photos are in each state (nil: waiting for a launch): what `ListingSQL.counts` reads for a list.
    public var counts: [GenerationState?: Int] {
        photoStates.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }
}

/// A listing of a list, with its counts.
public struct ListingSummary: Sendable, Equatable {
    public var listing: ListingRecord
    /// Per state of the photos' newest generations; photos waiting for a launch under `nil`.
    public var counts: [GenerationState?: Int]

    public init(listing: ListingRecord, counts: [GenerationState?: Int]) {
        self.listing = listing
        self.counts = counts
    }
}

/// The filters of the listing list: newest first, `limit` a page, after the cursor `beforeID`.
public struct ListingFilter: Sendable, Equatable {
    public var state: ListingState?
    public var since: Date?
    public var beforeID: Int64?
    public var limit: Int

    public init(state: ListingState? = nil, since: Date? = nil, beforeID: Int64? = nil, limit: Int = 50) {
        self.state = state
        self.since = since
        self.beforeID = beforeID
        self.limit = limit
    }
}

/// What a retry queued.
public struct ListingRetry: Sendable, Equatable {
    public var listing: ListingRecord
    /// Photos whose newest generation ended without a result, now waiting for a new launch.
    public var queued: Int
}

extension ListingRecord {
    /// Every photo has ended: `outcome`, announced by `listing.completed`.
    mutating func complete(_ outcome: ListingState, at date: Date) {
        self.outcome = outcome
        completedAt = date
        updatedAt = date
    }

    /// A retry launches photos again: in progress until they end.
    mutating func reopen(at date: Date) {
        outcome = nil
        completedAt = nil
        updatedAt = date
    }

    func requireID() throws -> Int64 {
        guard let id else { throw StoreError.unsupported("a listing without its id") }
        return id
    }
}
