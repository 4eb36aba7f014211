import DeclutterAPI
import Foundation

// The store as the daemon sees it: the domain, never the engine (STYLE 16). `AppDatabase` (SQLite, the default)
// and `PostgresStore` implement it; one parameterised test suite checks both.

/// Generations: submissions, status reports, polling, reads and the outbox's messages.
public protocol GenerationStore: Sendable {
    /// Records a submission as SUBMITTING (with its callback token hash) before any upstream call,
    /// or returns the first result of an Idempotency-Key already seen.
    func beginSubmission(_ request: SubmissionRequest, at date: Date) async throws -> SubmissionStart
    /// What `beginSubmission` would replay for `request`, without writing: the first result of its Idempotency-Key,
    /// or nil when the key is new (or absent). Throws `idempotencyKeyReused` for a different request. For an upload,
    /// asked before its file is kept, so a replayed or refused upload leaves no file.
    func replay(of request: SubmissionRequest) async throws -> GenerationRecord?
    /// Stores the upstream answer of a submission: ids, project, quota, and the first poll date
    /// (`created + callback_grace`). A callback that came first keeps the state it brought.
    func recordAccepted(_ answer: SubmissionAnswer, forRow row: Int64, at date: Date, firstPollAt: Date) async throws -> WriteResult
    /// Upstream refused the submission: REJECTED, no photo spent, never polled.
    /// Its Idempotency-Key is released: nothing was spent, so a retry under the same key may try again.
    func recordRejected(forRow row: Int64, httpStatus: Int?, reason: String, rawBody: Data?, at date: Date) async throws -> WriteResult
    /// The submission was sent but its outcome is unknown: it stays SUBMITTING with the reason, visible to
    /// the operator, and is never resubmitted blindly. `giveUpAt` is when the poller, unless a callback
    /// brought its generation id by then, declares it LOST.
    func recordOutcomeUnknown(forRow row: Int64, reason: String, httpStatus: Int?, at date: Date, giveUpAt: Date) async throws -> WriteResult
    /// Submissions left SUBMITTING with no poll date by a stop between the record and the upstream answer:
    /// scheduled for their give-up time, so none stays pending forever. Run at start-up.
    /// A start-up chore: it writes directly, before the group commit runs.
    /// `date`: now; with instances sharing the store (PostgreSQL), only submissions older than a margin are orphans,
    /// the younger ones being possibly in flight on another instance.
    func scheduleOrphanedSubmissions(giveUpAfter: Duration, at date: Date) async throws -> Int
    /// Gives up on a generation: LOST with the reason. A late callback or poll answer revives it.
    func markLost(row: Int64, reason: String, at date: Date) async throws -> WriteResult
    /// A poll that got no usable answer (HTTP error, timeout): recorded, counted, rescheduled.
    func recordPollFailure(row: Int64, httpStatus: Int?, reason: String, rawBody: Data?, at date: Date, nextPollAt: Date) async throws -> WriteResult
    /// Applies a callback or poll answer and records its event, in one transaction.
    /// Returns nil, having written nothing, when no generation matches `locator`, or when the callback's token
    /// has outlived its retention.
    func apply(_ report: StatusReport, to locator: GenerationLocator) async throws -> WriteResult?
    /// Adopts a generation created elsewhere (`track`): polled like any other, from `firstPollAt`.
    /// Returns the existing record, and `false`, when the generation is already known.
    func track(generationID: UUID, at date: Date, firstPollAt: Date) async throws -> (GenerationRecord, created: Bool)
    func generation(_ locator: GenerationLocator) async throws -> GenerationRecord?
    /// A generation's events in order, oldest first.
    func events(forRow row: Int64) async throws -> [EventRecord]
    /// One page of a generation's events after the id `after`: at most `limit`, and past the first, no more than
    /// `bodyBytes` of raw bodies, measured in SQL so that no body beyond the page is loaded; and whether more follow.
    func eventPage(forRow row: Int64, after: Int64?, limit: Int, bodyBytes: Int) async throws -> (events: [EventRecord], more: Bool)
    func project(_ id: UUID) async throws -> ProjectRecord?
    /// The latest `remaining_photos` reading.
    func latestQuota() async throws -> QuotaRecord?
    /// Up to `limit` pending generations whose poll is due at `now`, soonest first, leaving out `busy` ones (this
    /// instance's polls in flight), for this instance to poll. SQLite's one instance reads them; PostgreSQL leases
    /// each to the instance that claims it, so no other instance polls it until the result is written or the
    /// lease expires.
    func claimDueGenerations(at now: Date, excluding busy: Set<Int64>, limit: Int) async throws -> [GenerationRecord]
    /// The nearest `next_poll_at`, leaving out `busy` generations (polls in flight), for the poller to sleep
    /// until. Walks the `generations_due` index in order, so it reads at most `busy.count + 1` rows.
    func nextPollDate(excluding busy: Set<Int64>) async throws -> Date?
    /// How many of the latest polls of a generation, running, answered 400 or 404 (any other result ends the run).
    func consecutiveNotFound(row: Int64) async throws -> Int
    func generations(matching filter: GenerationFilter) async throws -> [GenerationRecord]
    /// A project and its generations, oldest first.
    func projectWithGenerations(_ id: UUID) async throws -> (ProjectRecord, [GenerationRecord])?
    /// Reads the triggers' tallies and a few index seeks: the same few milliseconds at any table size.
    func stats() async throws -> StoreStats
    func messages(matching filter: MessageFilter) async throws -> [MessageRecord]
    func message(_ id: Int64) async throws -> MessageRecord?
    /// The newest sequence number given to a message (pruned or not), 0 before the first.
    func latestMessageSequence() async throws -> Int64
    /// Generations created since `since`, counted per hour and outcome. Naming every state lets SQLite read
    /// `generations_by_status` (status, created_at) alone, a range per state, never a row of the table: with
    /// 100,000 generations over two days, the overview went from 178 ms to 96 ms (release build, scripts/bench/dashboard.py).
    func hourlyOutcomes(since: Date) async throws -> [String: HourlyOutcomes]
    /// Deliveries that gave up for good.
    func failedDeliveryCount() async throws -> Int
    /// Per endpoint, its share of the latest `window` attempts of all endpoints: read newest first by primary key, so
    /// the cost does not grow with the history kept.
    func recentAttemptCounts(window: Int) async throws -> [Int64: EndpointAttemptCounts]
}

/// Webhook endpoints and the deliveries queued for them.
public protocol DeliveryStore: Sendable {
    /// Inserts an endpoint unless `limit` endpoints exist already (counted in the same transaction); nil then.
    func createEndpoint(_ endpoint: EndpointRecord, limit: Int) async throws -> EndpointRecord?
    /// Reads the endpoint (locked against writers changing it at once), applies `change`, writes it with
    /// `updated_at` = `date`; nil when there is no such endpoint. Editing, enabling and rotating are made of it.
    func changeEndpoint(_ id: Int64, at date: Date, _ change: @escaping @Sendable (inout EndpointRecord) -> Void) async throws -> EndpointRecord?
    /// Deletes an endpoint with its deliveries and their attempts; false when there was none. It is disabled
    /// first (nothing more is queued or sent to it), then its history goes `batch` deliveries (with their
    /// attempts) per write, so that a long history never holds the write lock for one long delete.
    func deleteEndpoint(_ id: Int64, batch: Int) async throws -> Bool
    func endpoints() async throws -> [EndpointRecord]
    func endpoint(_ id: Int64) async throws -> EndpointRecord?
    /// Records one attempt and what it decided: the attempt row, the delivery's new status and next attempt,
    /// and the endpoint's health (disabled on 410, or when it has been failing since before
    /// `report.disableIfFailingSince`). Nothing happens when the delivery is gone (its endpoint was deleted).
    func recordAttempt(_ report: AttemptReport) async throws -> EndpointChange
    /// Queues a message again (as a new round of the schedule, due now) for `endpoint`, or for every endpoint
    /// it was queued for; an endpoint given that never had it (added later) gets it too, when it takes its type.
    /// Returns how many deliveries were queued; nil when there is no such message.
    func redeliver(message: Int64, endpoint: Int64?, at date: Date) async throws -> Int?
    /// Replays every delivery to `endpoint` that failed (a dead letter) whose message was written at or after
    /// `since`. Returns how many were queued; nil when there is no such endpoint.
    func recover(endpoint: Int64, since: Date, at date: Date) async throws -> Int?
    /// Up to `limit` pending deliveries of `endpoint` due at `now`, earliest first, leaving out `busy` ones.
    /// The endpoint is as the caller read it (`enabledEndpoints()`): one read per wake, not one per endpoint.
    /// SQLite's one instance reads them; PostgreSQL leases each to the instance that claims it, so no other instance
    /// attempts it until its attempt is recorded or the lease expires.
    func dueDeliveries(to endpoint: EndpointRecord, at now: Date, excluding busy: Set<Int64>, limit: Int) async throws -> [DueDelivery]
    /// The earliest next attempt among the pending deliveries of `endpoints`, leaving out `busy` ones (with
    /// PostgreSQL, a delivery under a lease counts from the later of its next attempt and the lease's end).
    func nextAttemptDate(endpoints: [Int64], excluding busy: Set<Int64>) async throws -> Date?
    /// The enabled endpoints, by id.
    func enabledEndpoints() async throws -> [EndpointRecord]
    /// Deliveries with their messages, newest first.
    func deliveries(matching filter: DeliveryFilter) async throws -> [DeliveryListing]
    /// One delivery with its message and every attempt, oldest first.
    func delivery(_ id: Int64) async throws -> DeliveryListing?
    func deliveryStats() async throws -> DeliveryStats
}

extension DeliveryStore {
    /// Applies `edit`; nil when there is no such endpoint.
    public func editEndpoint(_ id: Int64, _ edit: EndpointEdit, at date: Date) async throws -> EndpointRecord? {
        try await changeEndpoint(id, at: date) { $0.apply(edit) }
    }

    /// Enables (clearing the failure record) or disables an endpoint; nil when there is no such endpoint.
    /// Pending deliveries of a disabled endpoint wait; they go out once it is enabled again.
    public func setEndpointEnabled(_ id: Int64, _ enabled: Bool, reason: String?, at date: Date) async throws -> EndpointRecord? {
        try await changeEndpoint(id, at: date) { $0.setEnabled(enabled, reason: reason) }
    }

    /// Replaces the secret; the previous one keeps signing until `overlapUntil`. Nil when there is no such endpoint.
    public func rotateSecret(of id: Int64, to secret: String, overlapUntil: Date, at date: Date) async throws -> EndpointRecord? {
        try await changeEndpoint(id, at: date) { $0.rotateSecret(to: secret, overlapUntil: overlapUntil) }
    }
}

/// Result images and uploaded inputs.
public protocol ArchiveStore: Sendable {
    /// Pending images whose attempt is due at `now`, leaving out `busy` ones (downloads in flight), oldest due first,
    /// for this instance to download (PostgreSQL leases each to the instance that claims it).
    func dueImages(at now: Date, excluding busy: Set<Int64>, limit: Int) async throws -> [ImageRecord]
    /// The nearest attempt of a pending image not in `busy`, for the archiver to sleep until (the `images_due` index).
    func nextImageAttemptDate(excluding busy: Set<Int64>) async throws -> Date?
    /// Counts an attempt as made before it is made, and puts the image's next try at `retryAt`: a download that
    /// kills the process (or is cut by a stop) then uses up its attempt, and no URL can hold the archive in a
    /// loop across restarts. Returns false, having written nothing, when the image is no longer pending.
    func beginImageAttempt(_ id: Int64, at date: Date, retryAt: Date) async throws -> Bool
    @discardableResult
    func recordImageAttempt(_ id: Int64, _ result: ImageAttemptResult, at date: Date) async throws -> ImageRecord?
    func archiveCounts() async throws -> ArchiveCounts
    /// The archived images and uploaded inputs of one generation, in order.
    func files(ofRow row: Int64) async throws -> GenerationFiles
    /// The image at `index` (from 0) of a generation, in any state.
    func image(ofRow row: Int64, index: Int) async throws -> ImageRecord?
    /// A generation's uploaded photo or mask.
    func upload(ofRow row: Int64, role: UploadRole) async throws -> UploadRecord?
    /// The upload a capability token's hash opens, with its generation (whose state says whether it is still served).
    func upload(tokenHash: String) async throws -> (UploadRecord, GenerationRecord)?
    /// A file the archive keeps for an upload: the facts of any upload with this SHA-256 (a variation that reuses
    /// its parent's uploaded photo mints a new token for the same file).
    func uploadedFile(sha256: String) async throws -> ArchivedFileFacts?
    /// Whether the store keeps the files' contents itself (PostgreSQL: every instance serves every file, with no
    /// shared folder), or the archive folder is their one copy (SQLite).
    var keepsFileContents: Bool { get }
    /// Keeps a file's contents, once its checks passed and before any row refers to it (no-op on SQLite).
    func keepFileContents(_ file: ArchivedFileFacts, _ contents: Data, at date: Date) async throws
    /// A kept file's contents, for an instance whose archive folder lacks it; nil when the store keeps none.
    func fileContents(sha256: String) async throws -> Data?
}

/// Listings: sets of photos launched, followed and delivered as one unit (docs/listings.md). Each photo's launch is a
/// submission (`beginSubmission` with its `listingPhoto`), which takes the photo's pending launch in its transaction.
public protocol ListingStore: Sendable {
    /// Records a listing and its photos, each waiting for its launch, once the photos left cover them (checked in the
    /// same transaction, unless the request allows a partial launch); or returns the listing its reference already
    /// names, when the photos are the same. Throws `listingReferenceReused` or `notEnoughPhotos`, having written nothing.
    func createListing(_ request: ListingRequest, at date: Date) async throws -> ListingStart
    /// Queues a new launch for each photo whose newest generation ended without a result, under the same photo
    /// rule; the listing is in progress again. Nil when there is no such listing.
    func retryListing(reference: String, at date: Date) async throws -> ListingRetry?
    /// Gives each listing in progress whose every photo has ended (up to `limit`) its outcome, with its
    /// `listing.completed` message, in one transaction; returns how many.
    func completeEndedListings(at date: Date, limit: Int) async throws -> Int
    /// The photos left as the daemon believes: the last reading, the submissions in flight, the photos queued.
    func photoBudget() async throws -> PhotoBudget
    func listing(reference: String) async throws -> ListingDetail?
    /// Listings newest first, with their counts.
    func listings(matching filter: ListingFilter) async throws -> [ListingSummary]
    /// Photos waiting for their launch, oldest first.
    func photosAwaitingLaunch(limit: Int) async throws -> [ListingPhotoRecord]
    /// A listing photo's launch the service refused for the moment (429, 503, or not reached): its generation REJECTED
    /// (nothing was spent) and the photo queued again, in one transaction, unless the photo has moved on meanwhile (a
    /// retry took it). No photo rule: the photo was counted when its listing was recorded.
    func recordDeferredLaunch(forRow row: Int64, listingPhoto: Int64, httpStatus: Int?, reason: String, at date: Date) async throws -> WriteResult
}

/// What retention removes.
public protocol RetentionStore: Sendable {
    /// Looks at the first `batch` rows of `table` by id only (ids grow with time), so a round costs the same at any
    /// table size, and deletes those older than `cutoff` in one short write. Returns how many went: fewer than
    /// `batch` means none older is left at the head of the table.
    func pruneHead(of table: HistoryTable, before cutoff: Date, batch: Int) async throws -> Int
    /// Marks pruned up to `batch` archived images and `batch` uploads of generations that ended before `cutoff`.
    /// Walks the archived images in id order (the `images_by_state` index), each joined to its generation.
    func pruneImages(endedBefore cutoff: Date, batch: Int, at date: Date) async throws -> PrunedFiles
    /// Whether an archived image or an unpruned upload refers to the file now.
    func isFileKept(sha256: String) async throws -> Bool
    /// Puts the archived images of a file back in the queue, due at once: for a file deleted by retention just as
    /// a new download of the same bytes was recorded. Returns how many.
    func requeueImages(sha256: String, at date: Date) async throws -> Int
}
/// The tables retention trims from their head, each with the time its rows are aged by.
public enum HistoryTable: String, Sendable, CaseIterable {
    case events
    /// With their deliveries and attempts, whatever their state: past the retention a message is history.
    case messages
    case deliveryAttempts = "delivery_attempts"
    /// With their attempts.
    case deliveries

    var timeColumn: String {
        switch self {
        case .events: "received_at"
        case .messages, .deliveries: "created_at"
        case .deliveryAttempts: "attempted_at"
        }
    }
}

extension RetentionStore {
    public func pruneEvents(receivedBefore cutoff: Date, batch: Int) async throws -> Int {
        try await pruneHead(of: .events, before: cutoff, batch: batch)
    }

    public func pruneMessages(createdBefore cutoff: Date, batch: Int) async throws -> Int {
        try await pruneHead(of: .messages, before: cutoff, batch: batch)
    }

    public func pruneAttempts(madeBefore cutoff: Date, batch: Int) async throws -> Int {
        try await pruneHead(of: .deliveryAttempts, before: cutoff, batch: batch)
    }

    public func pruneDeliveries(createdBefore cutoff: Date, batch: Int) async throws -> Int {
        try await pruneHead(of: .deliveries, before: cutoff, batch: batch)
    }
}

/// The whole store: every part above, and its life.
public protocol Store: GenerationStore, DeliveryStore, ArchiveStore, ListingStore, KeyStore, RetentionStore {
    /// Which engine, and where (for logs, `check-config` and `/readyz`; never a password).
    var location: StoreLocation { get }
    /// Pokes its listeners after each commit that changed `messages`, `deliveries`, `endpoints` or `listing_photos` (with
    /// PostgreSQL, a commit on any instance).
    var commits: CommitSignal { get }
    /// How the writes were grouped so far: commits made and the writes they held.
    var writeTotals: WriteTotals { get }
    /// How durable a commit is when a caller hears of it: 2 means on disk (SQLite's `synchronous=FULL`;
    /// PostgreSQL's `synchronous_commit` on).
    var synchronous: Int { get }
    /// Runs what the store needs beside its callers (SQLite: the group commit) until `finishWrites()`.
    func runWrites() async
    /// Refuses new writes; `runWrites()` commits those already waiting, then returns.
    func finishWrites()
    /// Runs until cancelled, telling of changes made by other instances sharing the store: pokes `commits`, and
    /// calls `generationChanged` for each generation changed elsewhere (PostgreSQL: LISTEN/NOTIFY, with a
    /// periodic look as fallback). Returns at once when no other instance can share it (SQLite).
    func followChanges(generationChanged: @escaping @Sendable (Int64) -> Void) async
    /// Runs `chores` (retention) on one instance at a time among those sharing the store, until cancelled: at once
    /// on SQLite; on PostgreSQL, while this instance holds the chores lock, handed over when it stops or dies.
    func runAsLeader(_ chores: @escaping @Sendable () async -> Void) async
    /// Proves the store takes a durable write: used by readiness and the watchdog.
    func checkWritable(at date: Date) async throws
    /// Refuses new writes, lets those waiting commit, then ends every connection; later calls fail.
    func close() async throws
}

extension Store {
    public func nextPollDate() async throws -> Date? { try await nextPollDate(excluding: []) }
    public func recentAttemptCounts() async throws -> [Int64: EndpointAttemptCounts] { try await recentAttemptCounts(window: 1000) }
    public func createEndpoint(_ endpoint: EndpointRecord) async throws -> EndpointRecord? { try await createEndpoint(endpoint, limit: .max) }
    public func deleteEndpoint(_ id: Int64) async throws -> Bool { try await deleteEndpoint(id, batch: 200) }
    public func redeliver(message: Int64, at date: Date) async throws -> Int? { try await redeliver(message: message, endpoint: nil, at: date) }
    public func checkWritable() async throws { try await checkWritable(at: Date()) }
    public func claimDueGenerations(at now: Date, limit: Int) async throws -> [GenerationRecord] {
        try await claimDueGenerations(at: now, excluding: [], limit: limit)
    }
}

/// Where the store lives, as people may see it.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// An SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL database: its URL with any password replaced by `***`.
    case postgres(redactedURL: String)

    /// `sqlite` or `postgresql`.
    public var backend: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgresql"
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite \(path)"
        case .postgres(let url): "postgresql \(url)"
        }
    }
}
