import Foundation

/// What a message says happened. A generation's change of state produces exactly one; duplicate, stale and
/// conflicting reports produce none.
public enum MessageType: String, Codable, Sendable, CaseIterable {
    case generationCreated = "generation.created"
    case generationUpdated = "generation.updated"
    case generationSucceeded = "generation.succeeded"
    case generationFailed = "generation.failed"
    case generationRejected = "generation.rejected"
    case generationLost = "generation.lost"
    /// Every result image of a SUCCEEDED generation has settled in the archive: archived, or failed for good.
    case generationArchived = "generation.archived"
    /// `remaining_photos` fell to the configured threshold (`notify.quota_low_threshold`).
    case quotaLow = "quota.low"
    /// Every photo of a listing has ended (docs/listings.md); its `data` is the listing with its counts.
    case listingCompleted = "listing.completed"

    /// The message a generation's move to `status` produces.
    public static func change(to status: GenerationState) -> MessageType {
        switch status {
        case .submitting, .starting, .processing: .generationUpdated
        case .succeeded: .generationSucceeded
        case .failed: .generationFailed
        case .rejected: .generationRejected
        case .lost: .generationLost
        }
    }

    /// After this message a generation followed on the event stream has nothing more to say (LOST included:
    /// a late answer that revives it is rare, and a follower can resume).
    public var endsGeneration: Bool {
        self == .generationSucceeded || self == .generationFailed || self == .generationRejected || self == .generationLost
    }
}
