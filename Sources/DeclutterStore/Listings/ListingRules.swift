import Foundation

/// The photos the daemon believes are left, as a listing or a retry is recorded: the last `remaining_photos`
/// reading, less the submissions in flight (SUBMITTING: sent, or about to be, with no answer recorded) and the
/// listing photos still waiting for their launch. Both engines read these three numbers in the transaction that
/// records the listing, and decide with this rule.
public struct PhotoBudget: Sendable, Equatable {
    /// The last reading; nil before the first (nothing is known then, and nothing is refused).
    public var remaining: Int?
    public var inFlight: Int
    public var queued: Int

    public init(remaining: Int?, inFlight: Int, queued: Int) {
        self.remaining = remaining
        self.inFlight = inFlight
        self.queued = queued
    }

    /// Nil when no reading was ever made.
    public var left: Int? { remaining.map { max(0, $0 - inFlight - queued) } }

    /// Throws `notEnoughPhotos` when `needed` is more than what is left, unless the client allows a partial launch.
    public func check(needed: Int, allowPartial: Bool) throws {
        guard !allowPartial, let left, needed > left else { return }
        throw StoreError.notEnoughPhotos(needed: needed, left: left)
    }
}

public enum ListingRules {
    /// The outcome of a listing whose photos' newest generations are in `states` (nil: waiting for a launch); nil
    /// while any photo still waits for a launch or an answer. LOST counts as ended: a late answer that revives a
    /// photo is rare, and the listing's counts show it.
    static func outcome(of states: [GenerationState?]) -> ListingState? {
        guard !states.isEmpty, states.allSatisfy({ $0.map { !$0.isPending } ?? false }) else { return nil }
        return states.allSatisfy { $0 == .succeeded } ? .completed : .completedWithFailures
    }

    /// Whether a photo whose newest generation is in `state` is launched again by a retry.
    static func isRetried(_ state: GenerationState?) -> Bool { state?.endedWithoutResult ?? false }

    /// The longest reference and photo name taken, in UTF-8 bytes, and the most photos in one listing.
    public static let maximumReferenceBytes = 200
    public static let maximumNameBytes = 200
    public static let maximumPhotos = 100
}
