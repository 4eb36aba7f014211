import DeclutterAPI
import Foundation

/// When each generation is next polled (docs/callbacks-and-polling.md). Pure: dates and a jitter draw in, a date out.
public struct PollSchedule: Sendable {
    public let configuration: PollingConfiguration

    public init(_ configuration: PollingConfiguration) {
        self.configuration = configuration
    }

    /// On submission: `created + callback_grace` when a callback is expected; otherwise (a variation, whose
    /// callback the service does not promise) polling starts on the backoff schedule, `created + initial_interval`.
    public func firstPoll(createdAt: Date, expectsCallback: Bool = true) -> Date {
        createdAt + (expectsCallback ? configuration.callbackGrace : configuration.initialInterval).seconds
    }

    /// A non-terminal callback pushes the next poll to at least this.
    public func afterCallback(now: Date) -> Date {
        now + configuration.callbackGrace.seconds
    }

    /// After the `attempt`-th poll (1-based) answered non-terminal: `now + min(initial·2^(attempt-1), max)` ± jitter.
    public func afterAnswer(attempt: Int, now: Date, random: Double) -> Date {
        now + backoff(attempt: attempt, random: random).seconds
    }

    /// After a failed poll: Retry-After when the service gave one (but never past the generation's give-up
    /// time, `created + give_up_after`, where it is LOST anyway), else the same backoff.
    public func afterFailure(_ error: UpstreamError, attempt: Int, createdAt: Date, now: Date, random: Double) -> Date {
        if let retryAfter = error.retryAfter {
            let giveUp = createdAt + configuration.giveUpAfter.seconds
            return max(min(now + max(retryAfter, .milliseconds(1)).seconds, giveUp), now + 0.001)
        }
        return afterAnswer(attempt: attempt, now: now, random: random)
    }

    /// Older than `give_up_after` without a terminal state.
    public func isExpired(createdAt: Date, now: Date) -> Bool {
        now.timeIntervalSince(createdAt) > configuration.giveUpAfter.seconds
    }

    /// After `lost_after_not_found` 400/404 answers running.
    public func isGone(consecutiveNotFound: Int) -> Bool {
        consecutiveNotFound >= configuration.lostAfterNotFound
    }

    func backoff(attempt: Int, random: Double) -> Duration {
        Backoff.delay(attempt: attempt - 1, initial: configuration.initialInterval, maximum: configuration.maxInterval,
                      jitter: configuration.jitter, random: random)
    }
}
