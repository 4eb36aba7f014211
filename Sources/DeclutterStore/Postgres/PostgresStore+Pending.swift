import Foundation

// Not yet on PostgreSQL: each throws `StoreError.unsupported`. Filled in as the PostgreSQL backend grows.

extension PostgresStore {
    public func createEndpoint(_ endpoint: EndpointRecord, limit: Int) async throws -> EndpointRecord? {
        throw StoreError.unsupported("createEndpoint")
    }

    public func editEndpoint(_ id: Int64, _ edit: EndpointEdit, at date: Date) async throws -> EndpointRecord? {
        throw StoreError.unsupported("editEndpoint")
    }

    public func setEndpointEnabled(_ id: Int64, _ enabled: Bool, reason: String?, at date: Date) async throws -> EndpointRecord? {
        throw StoreError.unsupported("setEndpointEnabled")
    }

    public func rotateSecret(of id: Int64, to secret: String, overlapUntil: Date, at date: Date) async throws -> EndpointRecord? {
        throw StoreError.unsupported("rotateSecret")
    }

    public func deleteEndpoint(_ id: Int64, batch: Int) async throws -> Bool {
        throw StoreError.unsupported("deleteEndpoint")
    }

    public func endpoints() async throws -> [EndpointRecord] {
        throw StoreError.unsupported("endpoints")
    }

    public func endpoint(_ id: Int64) async throws -> EndpointRecord? {
        throw StoreError.unsupported("endpoint")
    }

    public func recordAttempt(_ report: AttemptReport) async throws -> EndpointChange {
        throw StoreError.unsupported("recordAttempt")
    }

    public func redeliver(message: Int64, endpoint: Int64?, at date: Date) async throws -> Int? {
        throw StoreError.unsupported("redeliver")
    }

    public func recover(endpoint: Int64, since: Date, at date: Date) async throws -> Int? {
        throw StoreError.unsupported("recover")
    }

    public func dueDeliveries(to endpoint: EndpointRecord, at now: Date, excluding busy: Set<Int64>, limit: Int) async throws -> [DueDelivery] {
        throw StoreError.unsupported("dueDeliveries")
    }

    public func nextAttemptDate(endpoints: [Int64], excluding busy: Set<Int64>) async throws -> Date? {
        throw StoreError.unsupported("nextAttemptDate")
    }

    public func enabledEndpoints() async throws -> [EndpointRecord] {
        throw StoreError.unsupported("enabledEndpoints")
    }

    public func deliveries(matching filter: DeliveryFilter) async throws -> [DeliveryListing] {
        throw StoreError.unsupported("deliveries")
    }

    public func delivery(_ id: Int64) async throws -> DeliveryListing? {
        throw StoreError.unsupported("delivery")
    }

    public func deliveryStats() async throws -> DeliveryStats {
        throw StoreError.unsupported("deliveryStats")
    }

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

    public func pruneEvents(receivedBefore cutoff: Date, batch: Int) async throws -> Int {
        throw StoreError.unsupported("pruneEvents")
    }

    public func pruneMessages(createdBefore cutoff: Date, batch: Int) async throws -> Int {
        throw StoreError.unsupported("pruneMessages")
    }

    public func pruneAttempts(madeBefore cutoff: Date, batch: Int) async throws -> Int {
        throw StoreError.unsupported("pruneAttempts")
    }

    public func pruneDeliveries(createdBefore cutoff: Date, batch: Int) async throws -> Int {
        throw StoreError.unsupported("pruneDeliveries")
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
