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
            inputs: files.map { $0.uploads.map(InputView.init) }
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
