import DeclutterAPI
import DeclutterStore

/// The label values of the daemon's counters, one enum per label set: every value a counter can carry is a
/// case here, its counter is made at start, and the README's metric table is checked against `allCases`.
public enum CallbackOutcome: String, CaseIterable, Sendable, EventOutcomeLabel {
    case applied, duplicate, stale, conflict, rejected
    case unknownToken = "unknown_token"
    case forbidden
    case tooLarge = "too_large"
    case unsupportedMediaType = "unsupported_media_type"
    /// `callbacks.verify` could not confirm the status with the service (or read the store): 503.
    case unverified
    /// The store could not commit it: 503.
    case unavailable
}

/// A label set that holds every `EventOutcome` under the same name (a test checks that it does).
public protocol EventOutcomeLabel: RawRepresentable<String> {}

extension EventOutcomeLabel {
    init(_ outcome: EventOutcome) {
        self.init(rawValue: outcome.rawValue)!
    }
}

/// What a poll came to: the event's outcome, LOST, or the kind of failure.
public enum PollResult: String, CaseIterable, Sendable, EventOutcomeLabel {
    case applied, duplicate, stale, conflict, rejected, lost
    /// 429.
    case rateLimited = "rate_limited"
    /// 401 or 403: the credentials were refused.
    case credentialsRejected = "credentials_rejected"
    /// 400 or 404: the service does not know the generation.
    case notFound = "not_found"
    /// Another 4xx, or a 503.
    case refused
    /// A 5xx other than 503.
    case serverError = "server_error"
    /// No connection could be made.
    case unreachable
    /// No answer (timeout, reset), or an answer that is not what the contract says.
    case transport

    init(_ error: UpstreamError) {
        switch (error.httpStatus, error.kind) {
        case (429?, _): self = .rateLimited
        case (401?, _), (403?, _): self = .credentialsRejected
        case (400?, _), (404?, _): self = .notFound
        case (_, .rejected): self = .refused
        case (_, .serverError): self = .serverError
        case (_, .unreachable): self = .unreachable
        default: self = .transport
        }
    }
}

/// Where an update that contradicted a terminal state came from.
public enum ConflictSource: String, CaseIterable, Sendable {
    case callback, poll
}

/// What a local submission came to.
public enum SubmissionResult: String, CaseIterable, Sendable {
    case accepted, rejected, replayed
    case outcomeUnknown = "outcome_unknown"
}

/// Where an attempt left its delivery.
public enum DeliveryResult: String, CaseIterable, Sendable {
    case delivered
    /// A failed attempt with another one scheduled.
    case retrying
    /// A failed attempt after which there is none (the last step of the schedule, or 410).
    case failed

    init(_ verdict: AttemptVerdict) {
        switch verdict {
        case .delivered: self = .delivered
        case .retry: self = .retrying
        case .failed, .gone: self = .failed
        }
    }
}

/// Why the delivery worker disabled an endpoint.
public enum EndpointDisableReason: String, CaseIterable, Sendable {
    /// It answered 410 Gone.
    case gone
    /// It had failed for `notify.disable_after` without a delivery.
    case failing
}

/// Whether an endpoint receives messages.
public enum EndpointState: String, CaseIterable, Sendable {
    case enabled, disabled
}

/// Why an event stream was refused or cut: over `local.max_event_streams`, or a client too slow to take a write.
public enum EventStreamDrop: String, CaseIterable, Sendable {
    case overCapacity = "over_capacity"
    case slowClient = "slow_client"
}

/// Where a download attempt left its image.
public enum ArchiveResult: String, CaseIterable, Sendable {
    case archived
    /// Failed; another attempt is scheduled.
    case retrying
    /// Failed for good.
    case failed
}

/// What became of a launch asked for with a local API key.
public enum KeyLaunchResult: String, CaseIterable, Sendable {
    /// Recorded, its photo charged to the key's budget (given back if the service refuses or refunds it).
    case launched
    /// Refused: the key's budget had no room (429 budget_exhausted), nothing sent.
    case refused
}
