import Foundation

// How each record of the store reads as the outside sees it: the mapping of a record to its wire view.

extension GenerationView {
    /// With `files`, the view of one generation (archive and inputs listed); without, a line of a list.
    public init(_ record: GenerationRecord, files: GenerationFiles? = nil) {
        self.init(
            id: record.id ?? 0,
            generationID: record.generationID.map(StoreFormat.uuid),
            projectID: record.projectID.map(StoreFormat.uuid),
            parentGenerationID: record.parentGenerationID.map(StoreFormat.uuid),
            kind: record.kind.rawValue,
            status: record.status.rawValue,
            statusReason: record.statusReason,
            imageURL: record.imageURL,
            maskURL: record.maskURL,
            auto: record.auto,
            images: record.images ?? [],
            variations: record.variations,
            remainingPhotos: record.remainingPhotos,
            refunded: record.refunded,
            resolvedBy: record.resolvedBy?.rawValue,
            createdAt: StoreFormat.timestamp(record.createdAt),
            submittedAt: record.submittedAt.map(StoreFormat.timestamp),
            updatedAt: StoreFormat.timestamp(record.updatedAt),
            completedAt: record.completedAt.map(StoreFormat.timestamp),
            nextPollAt: record.nextPollAt.map(StoreFormat.timestamp),
            pollAttempts: record.pollAttempts,
            version: record.version,
            archive: files.map { $0.images.map(ArchivedImageView.init) },
            inputs: files.map { $0.uploads.map(InputView.init) },
            key: record.keyName
        )
    }
}

extension ArchivedImageView {
    public init(_ image: ImageRecord) {
        self.init(
            index: image.position,
            sourceURL: image.sourceURL,
            state: image.state.rawValue,
            url: image.state == .archived ? ArchivePaths.image(generation: image.generation, index: image.position) : nil,
            sha256: image.sha256,
            bytes: image.bytes,
            contentType: image.contentType,
            width: image.width,
            height: image.height,
            archivedAt: image.archivedAt.map(StoreFormat.timestamp),
            attempts: image.attempts,
            nextAttemptAt: image.nextAttemptAt.map(StoreFormat.timestamp),
            error: image.lastError
        )
    }
}

extension InputView {
    public init(_ upload: UploadRecord) {
        self.init(
            role: upload.role.rawValue,
            url: upload.prunedAt == nil ? ArchivePaths.input(generation: upload.generation, role: upload.role) : nil,
            sha256: upload.sha256,
            bytes: upload.bytes,
            contentType: upload.contentType,
            width: upload.width,
            height: upload.height,
            pruned: upload.prunedAt != nil
        )
    }
}

extension ListingView {
    /// With `photos`, the view of one listing; without, a line of a list (and the `listing.completed` message).
    public init(_ listing: ListingRecord, counts: [GenerationState?: Int], photos: [ListingPhotoView]? = nil) {
        var named = Dictionary(uniqueKeysWithValues: GenerationState.allCases.map { ($0.rawValue.lowercased(), counts[$0] ?? 0) })
        named[ListingPhotoView.queued.lowercased()] = counts[nil] ?? 0
        self.init(
            reference: listing.reference,
            state: listing.state.rawValue,
            allowPartial: listing.allowPartial,
            photoCount: listing.photoCount,
            counts: named,
            createdAt: StoreFormat.timestamp(listing.createdAt),
            updatedAt: StoreFormat.timestamp(listing.updatedAt),
            completedAt: listing.completedAt.map(StoreFormat.timestamp),
            photos: photos,
            key: listing.keyName
        )
    }

    /// One listing read with its photos.
    public init(_ detail: ListingDetail) {
        let photos = detail.photos.map { photo in
            let generation = photo.generation.flatMap { detail.generations[$0] }
            return ListingPhotoView(photo, generation: photo.launchPending ? nil : generation,
                                    files: generation?.id.flatMap { detail.files[$0] }, earlier: photo.id.flatMap { detail.earlier[$0] } ?? [])
        }
        self.init(detail.listing, counts: detail.counts, photos: photos)
    }
}

extension ListingPhotoView {
    /// A photo as its newest generation shows it; `generation` nil while it waits for a launch.
    public init(_ photo: ListingPhotoRecord, generation: GenerationRecord?, files: GenerationFiles?, earlier: [Int64]) {
        let upload = files?.uploads.first { $0.role == .image }
        self.init(
            name: photo.name,
            generation: generation?.id,
            generationID: generation?.generationID.map(StoreFormat.uuid),
            status: generation?.status.rawValue ?? Self.queued,
            statusReason: generation?.statusReason,
            images: files?.images.map(ArchivedImageView.init) ?? [],
            imageURL: photo.imageURL,
            inputURL: upload.flatMap { $0.prunedAt == nil ? ArchivePaths.input(generation: $0.generation, role: .image) : nil },
            earlierGenerations: earlier + (photo.launchPending ? [photo.generation].compactMap { $0 } : [])
        )
    }
}

extension KeyView {
    public init(_ usage: KeyUsage) {
        let key = usage.key
        self.init(
            name: key.name,
            scopes: key.scopes.sorted().map(\.rawValue),
            budget: key.budget?.description,
            used: usage.used,
            left: key.budget.map { max(0, $0.limit - usage.used) },
            resetsAt: StoreFormat.timestamp(usage.window.upperBound),
            createdAt: StoreFormat.timestamp(key.createdAt),
            lastUsedAt: key.lastUsedAt.map(StoreFormat.timestamp),
            revokedAt: key.revokedAt.map(StoreFormat.timestamp),
            previousTokenValidUntil: key.previousValidUntil.map(StoreFormat.timestamp)
        )
    }
}
