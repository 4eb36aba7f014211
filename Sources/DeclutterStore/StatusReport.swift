import DeclutterAPI
import Foundation

/// Which generation a write is about.
public enum GenerationLocator: Sendable, Equatable {
    /// The SHA-256 of the token in a callback URL.
    case callbackTokenHash(String)
    /// The local id.
    case row(Int64)
    /// The upstream generation id.
    case generationID(UUID)
}

/// What `next_poll_at` becomes when a generation is still pending after a write.
public enum PollReschedule: Sendable, Equatable {
    /// Push it to at least this time (a non-terminal callback: `now + callback_grace`).
    case atLeast(Date)
    /// Set it to exactly this time (a poll answer: the backoff schedule).
    case exactly(Date)

    func apply(to current: Date?) -> Date {
        switch self {
        case .atLeast(let date): max(current ?? date, date)
        case .exactly(let date): date
        }
    }
}

/// What the store keeps of callbacks, so that a leaked callback URL cannot fill the disk.
public struct CallbackRetention: Sendable, Equatable {
    /// After a generation is SUCCEEDED, FAILED or REJECTED (its `completed_at`), its token is accepted this long
    /// (then: unknown).
    public var tokenTTL: Duration
    /// Callbacks that changed nothing (invalid, duplicate, stale, conflict) kept as events per generation;
    /// beyond it only the metric counts them.
    public var rejectedEvents: Int
    /// The raw body of such a callback is kept up to this many bytes.
    public var rejectedBodyBytes: Int

    public init(tokenTTL: Duration = .seconds(7 * 86_400), rejectedEvents: Int = 20, rejectedBodyBytes: Int = 2048) {
        self.tokenTTL = tokenTTL
        self.rejectedEvents = rejectedEvents
        self.rejectedBodyBytes = rejectedBodyBytes
    }
}

/// A retrieval payload received about a generation (by callback or poll), valid or not.
public struct StatusReport: Sendable {
    public var source: EventSource
    public var receivedAt: Date
    public var httpStatus: Int?
    public var rawBody: Data
    /// The payload as `RetrievalPayloadValidator` judged it without context; the store checks the
    /// generation-id rule against the generation it finds.
    public var payload: Result<RetrievalPayload, PayloadViolation>
    public var rescheduleIfPending: PollReschedule
    /// For a callback: how long its token lives on and how much of an invalid one is kept.
    public var retention: CallbackRetention?

    public init(source: EventSource, receivedAt: Date, httpStatus: Int? = nil, rawBody: Data,
                payload: Result<RetrievalPayload, PayloadViolation>, rescheduleIfPending: PollReschedule,
                retention: CallbackRetention? = nil) {
        self.source = source
        self.receivedAt = receivedAt
        self.httpStatus = httpStatus
        self.rawBody = rawBody
        self.payload = payload
        self.rescheduleIfPending = rescheduleIfPending
        self.retention = retention
    }
}

/// What a write did: the outcome, the generation after it and the event recorded with it.
public struct WriteResult: Sendable, Equatable {
    public var outcome: EventOutcome
    /// The rule broken when the outcome is `rejected`.
    public var violation: PayloadViolation?
    public var generation: GenerationRecord
    /// The event recorded, or, for an invalid callback past `CallbackRetention.rejectedEvents`, the one not kept.
    public var event: EventRecord
}

/// Store failures a caller can act on.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case generationNotFound
    /// The same Idempotency-Key came with a different request.
    case idempotencyKeyReused(key: String)
    /// An upstream generation id already tracked under another local generation.
    case generationIDTaken(UUID)
    /// The store is closing or closed: it takes no more writes.
    case closed
    /// This backend does not do that yet.
    case unsupported(String)
    /// A listing's reference came again with different photos.
    case listingReferenceReused(reference: String)
    /// The listing (or its retry) needs more photos than the daemon believes are left.
    case notEnoughPhotos(needed: Int, left: Int)
    /// A listing photo's launch was recorded already (by another instance): this one must not call upstream.
    case listingPhotoTaken
    /// The key's photo budget would be overspent: nothing was recorded, nothing is sent upstream.
    case budgetExhausted(key: String, budget: KeyBudget, used: Int, resetsAt: Date)
    /// A key of that name exists already (revoked or not: a name is never reused).
    case keyNameTaken(String)
    /// `KeyRules.maximumKeys` keys are in use.
    case tooManyKeys(limit: Int)

    public var description: String {
        switch self {
        case .generationNotFound: "no such generation"
        case .idempotencyKeyReused(let key): "Idempotency-Key \(key) was first used for a different request"
        case .generationIDTaken(let id): "generation \(StoreFormat.uuid(id)) is already tracked"
        case .closed: "the store is closed"
        case .unsupported(let operation): "\(operation) is not available on this store's backend yet"
        case .listingReferenceReused(let reference): "listing \(reference) was first recorded with different photos"
        case .notEnoughPhotos(let needed, let left): "the listing needs \(needed) photos and \(left) are left"
        case .listingPhotoTaken: "the photo's launch was recorded already"
        case .budgetExhausted(let key, let budget, let used, let resetsAt):
            "key \(key) has spent \(used) of its \(budget) photo budget; it resets at \(StoreFormat.timestamp(resetsAt))"
        case .keyNameTaken(let name): "a key named \(name) exists already (names of revoked keys are not reused)"
        case .tooManyKeys(let limit): "\(limit) keys are in use: revoke one first"
        }
    }
}
