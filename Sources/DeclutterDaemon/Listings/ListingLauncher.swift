import DeclutterStore
import Foundation
import Logging
import ServiceLifecycle

/// Launches the photos of listings, one at a time, and announces each listing whose every photo has ended
/// (docs/listings.md). Its queue is in the store (`listing_photos.launch_pending`): it wakes at each commit (a listing
/// recorded or retried, a generation ended) and carries on after a restart from where the store says. One launch at a
/// time is the pace the service takes: each waits for its answer, with the launch retry's backoff on a 429.
///
/// A photo's launch is a submission like any other (`Submitter`): its generation is recorded, and the photo's pending
/// launch taken, in one transaction before the upstream call; so a stop (even a kill -9) between the two leaves the
/// photo either launched once, or reported as a submission whose outcome is unknown, never launched twice.
public final class ListingLauncher: Service, Sendable {
    let database: any Store
    let submitter: Submitter
    let logger: Logger
    private let loop: CommitDrivenLoop

    /// How long it waits before reading the store again after a failure.
    static let afterStoreError: Duration = .seconds(5)
    /// Listings completed per transaction.
    static let completionBatch = 100

    init(database: any Store, submitter: Submitter, logger: Logger, clock: DaemonClock) {
        self.database = database
        self.submitter = submitter
        self.logger = logger
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
            guard let photo = try await database.photosAwaitingLaunch(limit: 1).first else { return nil }
            try await launch(photo)
            return .zero
        } catch {
            logger.error("listing launches paused: the store failed", metadata: ["error": "\(error)"])
            return Self.afterStoreError
        }
    }

    private func launch(_ photo: ListingPhotoRecord) async throws {
        var request = LaunchRequest(imageURL: photo.imageURL, auto: photo.auto, maskURL: photo.maskURL, parent: nil, idempotencyKey: nil)
        request.inputs = photo.files.map { LaunchInput(role: $0.role, file: $0.file) }
        request.listingPhoto = photo.id
        var logger = self.logger
        logger[metadataKey: "listing_photo"] = "\(photo.id ?? 0)"
        do {
            let (generation, _) = try await submitter.launch(request)
            logger.info("listing photo launched", metadata: ["generation": "\(generation.id ?? 0)", "status": "\(generation.status.rawValue)"])
        } catch StoreError.listingPhotoTaken {
            // Another instance launched it first: nothing was sent from here.
        } catch SubmissionRefusal.noPublicBaseURL {
            logger.error("listing photo not launched: callbacks.public_base_url is not configured")
            throw SubmissionRefusal.noPublicBaseURL
        }
    }
}
