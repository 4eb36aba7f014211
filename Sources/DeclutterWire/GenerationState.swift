/// A generation's state as declutterd keeps it (docs/states.md).
public enum GenerationState: String, Codable, Sendable, CaseIterable {
    /// Recorded before the upstream call; the outcome of that call is not known yet.
    case submitting = "SUBMITTING"
    case starting = "STARTING"
    case processing = "PROCESSING"
    case succeeded = "SUCCEEDED"
    case failed = "FAILED"
    /// Upstream refused the submission: no photo spent.
    case rejected = "REJECTED"
    /// No terminal answer before the give-up age; a late callback or poll revives it.
    case lost = "LOST"

    /// SUCCEEDED, FAILED and REJECTED never change again.
    public var isFinal: Bool { self == .succeeded || self == .failed || self == .rejected }

    /// Still waiting for an upstream answer: the states the poller looks after. The one list of them: both engines'
    /// SQL says "pending" with `pendingSQL` (DeclutterStore).
    public static let pending: [GenerationState] = [.submitting, .starting, .processing]

    public var isPending: Bool { Self.pending.contains(self) }

    /// Over, with no result to show: FAILED, REJECTED or LOST (what "failed" counts everywhere).
    public var endedWithoutResult: Bool { self == .failed || self == .rejected || self == .lost }
}
