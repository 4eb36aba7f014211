import DeclutterAPI
import DeclutterStore
import Foundation

/// What one attempt got back.
public enum AttemptAnswer: Sendable, Equatable {
    /// An HTTP answer, with its `Retry-After` header if it had one.
    case status(Int, retryAfter: String? = nil)
    /// No answer: a timeout, a refused or broken connection.
    case noAnswer
}

/// The retry rule of `notify.retry_schedule`, as plain functions on values.
///
/// `retrySchedule[0]` is the first attempt's delay from the message, and it is immediate: the store queues a
/// delivery due at the message's time, whatever that step says. After attempt `n` (1-based, counted since the
/// delivery was queued or replayed) the next waits `retrySchedule[n]`, stretched by up to `jitter` (never
/// shortened); after `retrySchedule.count` attempts the message is failed for that endpoint.
public struct DeliverySchedule: Sendable {
    public let configuration: DeliveryConfiguration

    public init(_ configuration: DeliveryConfiguration) {
        self.configuration = configuration
    }

    /// What an attempt made at `attemptedAt` decides, the delivery having made `roundAttempts` attempts of
    /// this round before it. `jitter` is a random draw in 0...1 (injected, so tests pick it).
    public func verdict(for answer: AttemptAnswer, roundAttempts: Int, at attemptedAt: Date, jitter: Double) -> AttemptVerdict {
        if case .status(let status, _) = answer {
            if (200..<300).contains(status) { return .delivered }
            if status == 410 { return .gone }
        }
        let made = roundAttempts + 1
        guard made < configuration.retrySchedule.count else { return .failed }
        var wait = configuration.retrySchedule[made].seconds * (1 + configuration.jitter * min(max(jitter, 0), 1))
        if let asked = retryAfter(answer, at: attemptedAt) { wait = max(wait, asked) }
        return .retry(at: attemptedAt + wait)
    }

    /// The wait a 429 or 503 asks for, in seconds, capped at `maximumRetryAfter`; nil for anything else.
    func retryAfter(_ answer: AttemptAnswer, at date: Date) -> TimeInterval? {
        guard case .status(let status, let header?) = answer, status == 429 || status == 503,
              let asked = RetryAfter.parse(header, now: date) else { return nil }
        return min(asked, configuration.maximumRetryAfter).seconds
    }
}
