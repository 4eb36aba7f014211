import DeclutterStore

/// How messages reach endpoints (the `notify.*` settings).
public struct DeliveryConfiguration: Sendable, Equatable {
    /// One attempt waits this long for an answer.
    public var timeout: Duration = .seconds(15)
    /// When each attempt is made, after the previous one; after the last, the message is failed for that endpoint.
    /// The first step is always zero (the setting refuses anything else): the first attempt is made as soon as
    /// the message is committed (`DeliverySchedule`).
    public var retrySchedule: [Duration] = [.zero, .seconds(5), .seconds(300), .seconds(1800), .seconds(7200),
                                            .seconds(18_000), .seconds(36_000), .seconds(36_000)]
    /// Each wait is stretched by up to this fraction, at random, so retries of many messages spread out.
    public var jitter = 0.1
    /// The longest `Retry-After` (on 429 and 503) that is honoured as it is.
    public var maximumRetryAfter: Duration = .seconds(86_400)
    /// An endpoint that has failed for this long, without a delivery in between, is disabled.
    public var disableAfter: Duration = .seconds(5 * 86_400)
    /// Attempts in flight at once, whole daemon.
    public var maxInFlight = 16
    /// Attempts in flight at once to one endpoint.
    public var maxPerEndpoint = 4
    /// After a rotation, the previous secret signs too for this long.
    public var secretOverlap: Duration = .seconds(86_400)

    public init() {}
}

/// The event stream's bounds (`GET /v1/events`).
public struct EventStreamConfiguration: Sendable, Equatable {
    /// Streams open at once; beyond it 503 with Retry-After.
    public var maxStreams = 32
    /// A comment goes out when nothing else did for this long.
    public var keepAlive: Duration = .seconds(15)
    /// A client that takes longer than this to take one write is disconnected (it resumes with Last-Event-ID).
    public var writeTimeout: Duration = .seconds(10)

    public init() {}
}
