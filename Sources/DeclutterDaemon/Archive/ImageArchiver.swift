import AsyncHTTPClient
import DeclutterStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Downloads the result images of SUCCEEDED generations into the archive (docs/archive.md): starts the due ones
/// there is room for (`archive.max_in_flight`), records each attempt with what the retry schedule decides, and
/// sleeps until the next due attempt, a commit, or a download's end. Its queue is the `images` table, filled in
/// the transaction that made a generation SUCCEEDED: after a restart it carries on from the database, and a
/// download cut short leaves only a temporary file, which the daemon removes before it listens (`Daemon.prepare`).
///
/// It runs beside the callbacks and the poller and shares nothing with them but the store's group commit: a
/// slow or failing download delays neither.
public final class ImageArchiver: Service, Sendable {
    let database: any Store
    let configuration: ArchiveConfiguration
    let directory: ArchiveDirectory
    let metrics: DaemonMetrics
    let logger: Logger
    let clock: DaemonClock
    private let loop: CommitDrivenLoop
    /// The images being downloaded.
    private let inFlight = Mutex<Set<Int64>>([])
    /// How long the loop waits before reading the store again after a read failed.
    static let afterStoreError: Duration = .seconds(5)
    /// How long the loop waits before looking at the free space again, when there is too little.
    static let whileFull: Duration = .seconds(30)
    private let fullDiskLog = RateLimitedLog()

    public init(database: any Store, configuration: ArchiveConfiguration, directory: ArchiveDirectory, metrics: DaemonMetrics,
                logger: Logger, clock: DaemonClock) {
        self.database = database
        self.configuration = configuration
        self.directory = directory
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        self.loop = CommitDrivenLoop(commits: database.commits, clock: clock)
    }

    /// Downloads running now.
    public var downloadsInFlight: Int { inFlight.withLock { $0.count } }

    /// Runs until a graceful shutdown, which abandons the downloads in flight at once (their temporary files go,
    /// their images stay due and are downloaded again after the restart).
    public func run() async throws {
        let client = ImageDownloader.makeClient()
        let downloader = ImageDownloader(
            client: client, policy: DownloadPolicy(configuration), directory: directory, maxBytes: configuration.maxBytes,
            timeout: configuration.timeout, clock: clock)
        await loop.run { group, now in await startDueDownloads(at: now, in: &group, downloader: downloader) }
        try await client.shutdown()
    }

    /// Starts the due downloads there is room for; returns how long to sleep afterwards (nil: until woken).
    private func startDueDownloads(at now: Date, in group: inout DiscardingTaskGroup, downloader: ImageDownloader) async -> Duration? {
        do {
            if let free = directory.freeBytes(), free < Int64(configuration.maxBytes) {
                // No download starts without room for the largest image: a full disk costs no attempt, and the
                // database beside the archive keeps its room for callbacks. /readyz says so meanwhile.
                fullDiskLog.log(logger, "archive directory full: downloads wait", metadata: ["free_bytes": "\(free)"])
                return Self.whileFull
            }
            let busy = inFlight.withLock { $0 }
            let room = configuration.maxInFlight - busy.count
            if room > 0 {
                for image in try await database.dueImages(at: now, excluding: busy, limit: room) {
                    start(image, in: &group, downloader: downloader)
                }
            }
            return try await napLength(from: now)
        } catch {
            logger.error("cannot read the images due", metadata: ["error": "\(error)"])
            return Self.afterStoreError
        }
    }

    private func start(_ image: ImageRecord, in group: inout DiscardingTaskGroup, downloader: ImageDownloader) {
        guard let id = image.id else { return }
        inFlight.withLock { _ = $0.insert(id) }
        group.addTask { [self] in
            await attempt(image, downloader: downloader)
            inFlight.withLock { _ = $0.remove(id) }
            loop.wake()
        }
    }

    /// Until the next attempt that could start; nil with every slot taken or nothing pending.
    private func napLength(from now: Date) async throws -> Duration? {
        let busy = inFlight.withLock { $0 }
        guard busy.count < configuration.maxInFlight, let next = try await database.nextImageAttemptDate(excluding: busy) else { return nil }
        return CommitDrivenLoop.nap(until: next, now: now)
    }

    /// One download: counted as made before it starts (so a download that kills the process uses up its
    /// attempt), then recorded with the schedule's verdict; a stop that cuts it short records nothing more.
    func attempt(_ image: ImageRecord, downloader: ImageDownloader) async {
        guard let id = image.id else { return }
        var logger = self.logger
        logger[metadataKey: "generation"] = "\(image.generation)"
        logger[metadataKey: "image"] = "\(image.position)"
        let result: ImageAttemptResult
        if image.attempts >= configuration.retrySchedule.count {
            // Its last attempt began and never ended: the daemon stopped or died during it.
            result = .failed(reason: "the daemon stopped during its last attempt", httpStatus: nil)
        } else {
            let startedAt = clock.date()
            let next = image.attempts + 1
            let ifCutShort = next < configuration.retrySchedule.count ? configuration.retrySchedule[next] : configuration.timeout
            do {
                guard try await database.beginImageAttempt(id, at: startedAt, retryAt: startedAt + ifCutShort.seconds) else { return }
            } catch {
                logger.error("image attempt not begun", metadata: ["error": "\(error)"])
                return await holdSlotAfterStoreError()
            }
            let outcome = await downloader.download(image.sourceURL)
            guard !Task.isCancelled else { return }
            result = verdict(on: outcome, attemptsBefore: image.attempts, at: clock.date())
            if case .archived(let file) = result {
                do {
                    try await ArchiveCopies(store: database, directory: directory).keep(file, at: clock.date())
                } catch {
                    logger.error("archived file not kept in the store", metadata: ["error": "\(error)"])
                    return await holdSlotAfterStoreError()
                }
            }
        }
        do {
            try await database.recordImageAttempt(id, result, at: clock.date())
        } catch {
            logger.error("image attempt not recorded", metadata: ["error": "\(error)"])
            return await holdSlotAfterStoreError()
        }
        switch result {
        case .archived(let file):
            metrics.archiveDownload(.archived, bytes: file.bytes)
            logger.debug("image archived", metadata: ["sha256": "\(file.sha256)", "bytes": "\(file.bytes)"])
        case .retry(let reason, _, let retryAt):
            metrics.archiveDownload(.retrying)
            logger.notice("image download failed; retrying",
                          metadata: ["reason": "\(reason)", "next_attempt_at": "\(StoreFormat.timestamp(retryAt))"])
        case .failed(let reason, _):
            metrics.archiveDownload(.failed)
            logger.warning("image not archived: no attempt left", metadata: ["reason": "\(reason)", "url": "\(image.sourceURL)"])
        }
    }

    /// A store that cannot write would otherwise see the same image started again at once, over and over: the
    /// slot stays taken a while instead.
    private func holdSlotAfterStoreError() async {
        try? await clock.sleep(for: Self.afterStoreError)
    }

    /// What the store records of a download: archived; retried after the schedule's next step; or failed, when
    /// the schedule is spent or retrying cannot help.
    func verdict(on outcome: DownloadOutcome, attemptsBefore: Int, at date: Date) -> ImageAttemptResult {
        switch outcome {
        case .archived(let file):
            return .archived(file.facts)
        case .failed(let reason, let status, let permanent):
            let next = attemptsBefore + 1
            guard !permanent, next < configuration.retrySchedule.count else { return .failed(reason: reason, httpStatus: status) }
            return .retry(reason: reason, httpStatus: status, retryAt: date + configuration.retrySchedule[next].seconds)
        }
    }
}

extension DownloadPolicy {
    init(_ configuration: ArchiveConfiguration) {
        self.init(allowPrivate: configuration.allowPrivate, allowHosts: configuration.allowHosts, allowNetworks: configuration.allowNetworks)
    }
}
