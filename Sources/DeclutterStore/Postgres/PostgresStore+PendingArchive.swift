import Foundation

// Not yet on PostgreSQL: each throws `StoreError.unsupported`. Filled in as the PostgreSQL backend grows.

extension PostgresStore {
    public func dueImages(at now: Date, excluding busy: Set<Int64>, limit: Int) async throws -> [ImageRecord] {
        throw StoreError.unsupported("dueImages")
    }

    public func nextImageAttemptDate(excluding busy: Set<Int64>) async throws -> Date? {
        throw StoreError.unsupported("nextImageAttemptDate")
    }

    public func beginImageAttempt(_ id: Int64, at date: Date, retryAt: Date) async throws -> Bool {
        throw StoreError.unsupported("beginImageAttempt")
    }

    @discardableResult
    public func recordImageAttempt(_ id: Int64, _ result: ImageAttemptResult, at date: Date) async throws -> ImageRecord? {
        throw StoreError.unsupported("recordImageAttempt")
    }

    public func archiveCounts() async throws -> ArchiveCounts {
        throw StoreError.unsupported("archiveCounts")
    }

    public func files(ofRow row: Int64) async throws -> GenerationFiles {
        throw StoreError.unsupported("files")
    }

    public func image(ofRow row: Int64, index: Int) async throws -> ImageRecord? {
        throw StoreError.unsupported("image")
    }

    public func upload(ofRow row: Int64, role: UploadRole) async throws -> UploadRecord? {
        throw StoreError.unsupported("upload")
    }

    public func upload(tokenHash: String) async throws -> (UploadRecord, GenerationRecord)? {
        throw StoreError.unsupported("upload")
    }

    public func uploadedFile(sha256: String) async throws -> ArchivedFileFacts? {
        throw StoreError.unsupported("uploadedFile")
    }

    public func pruneImages(endedBefore cutoff: Date, batch: Int, at date: Date) async throws -> PrunedFiles {
        throw StoreError.unsupported("pruneImages")
    }

    public func isFileKept(sha256: String) async throws -> Bool {
        throw StoreError.unsupported("isFileKept")
    }

    public func requeueImages(sha256: String, at date: Date) async throws -> Int {
        throw StoreError.unsupported("requeueImages")
    }
}
