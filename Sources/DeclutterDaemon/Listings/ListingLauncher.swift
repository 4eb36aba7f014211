import DeclutterStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Launches the photos of listings, one at a time, and announces each listing whose every photo has ended
/// (docs/listings.md). Its queue is in the store (`listing_photos.launch_pending`): it wakes at each commit (a listing
/// recorded or retried, a generation ended) and carries on after a restart from where the store says. One launch at a
/// time, each waiting for its answer, is the pace the service takes; when it answers 429 all the same, the photo is
/// queued again (its refused generation, which spent nothing, stays in its history) and the next launch waits for the
/// `Retry-After` (a second without one).
///
/// A photo's launch is a submission like any other (`Submitter`): its generation is recorded, and the photo's pending
/// launch taken, in one transaction before the upstream call; so a stop (even a kill -9) between the two leaves the
/// photo either launched once, or reported as a submission whose outcome is unknown, never launched twice.
public final class ListingLauncher: Service, Sendable {
    let database: any Store
    let submitter: Submitter
    let logger: Logger
    let clock: DaemonClock
    private let loop: CommitDrivenLoop
    /// No launch before `until`: the service asked for a pause (429, 503) or could not be reached; `step` doubles
    /// with each pause in a row, and a launch that goes through clears it. Commits wake the loop meanwhile; they may
    /// complete listings, never hasten a launch.
    private let pause = Mutex<(until: Date, step: Duration)>((.distantPast, .zero))

    /// How long it waits before reading the store again after a failure.
    static let afterStoreError: Duration = .seconds(5)
    /// The first pause without a `Retry-After`, and the longest pause (a longer `Retry-After` is cut to it).
    static let firstPause: Duration = .seconds(1)
    static let longestPause: Duration = .seconds(60)
    /// Listings completed per transaction.
    static let completionBatch = 100

    init(database: any Store, submitter: Submitter, logger: Logger, clock: DaemonClock) {
        self.database = database
        self.submitter = submitter
        self.logger = logger
        self.clock = clock
        self.loop = CommitDrivenLoop(commits: database.commits, clock: clock, finishing: true)
    }

    /// Runs until a graceful shutdown, which lets the launch in flight end (its answer is recorded).
    public func run() async throws {
        await loop.run { _, now in await launchNext(at: now) }
    }

    /// Completes the listings that ended, then launches the next photo waiting; returns how long to sleep (nil: until
    /// the next commit; zero: at once, to launch the next).
    private func launchNext(at now: Date) async -> Duration? {
        do {
            while try await database.completeEndedListings(at: now, limit: Self.completionBatch) == Self.completionBatch {}
            let paused = pause.withLock { $0.until }
            if paused > now { return CommitDrivenLoop.nap(until: paused, now: now) }
            guard let photo = try await database.photosAwaitingLaunch(limit: 1).first else { return nil }
            return try await launch(photo)
        } catch SubmissionRefusal.noPublicBaseURL {
            logger.error("listing launches paused: callbacks.public_base_url is not configured")
            return Self.afterStoreError
        } catch {
            logger.error("listing launches paused: the store failed", metadata: ["error": "\(error)"])
            return Self.afterStoreError
        }
    }

    /// Launches `photo`; returns how long to wait before the next launch.
    private func launch(_ photo: ListingPhotoRecord) async throws -> Duration {
        var request = LaunchRequest(imageURL: photo.imageURL, auto: photo.auto, maskURL: photo.maskURL, parent: nil, idempotencyKey: nil)
        request.inputs = photo.files.map { LaunchInput(role: $0.role, file: $0.file) }
        request.listingPhoto = photo.id
        var logger = self.logger
        logger[metadataKey: "listing_photo"] = "\(photo.id ?? 0)"
        do {
            let outcome = try await submitter.launchTellingRefusal(request)
            logger.info("listing photo launched", metadata: ["generation": "\(outcome.generation.id ?? 0)", "status": "\(outcome.generation.status.rawValue)"])
            guard let refusal = outcome.refusal, Submitter.isForTheMoment(refusal) else {
                pause.withLock { $0.step = .zero }
                return .zero
            }
            // Counted from the answer, not from when the launch began.
            let answered = clock.date()
            return pause.withLock { pause in
                pause.step = min(Self.longestPause, pause.step == .zero ? Self.firstPause : pause.step * 2)
                let wait = min(Self.longestPause, refusal.retryAfter ?? pause.step)
                pause.until = answered + wait.seconds
                return wait
            }
        } catch StoreError.listingPhotoTaken {
            return .zero  // another instance launched it first: nothing was sent from here
        }
    }
}
