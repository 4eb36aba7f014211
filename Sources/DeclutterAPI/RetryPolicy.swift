import Foundation

/// How often and how patiently a call is retried: exponential backoff with jitter, Retry-After honoured.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var initialDelay: Duration
    public var maxDelay: Duration
    /// Fraction of the delay added or removed at random (0.2 = ±20 %).
    public var jitter: Double
    /// A Retry-After longer than this is not waited for: the call fails and the caller reschedules.
    public var maxRetryAfter: Duration

    public init(maxAttempts: Int = 4, initialDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(20),
                jitter: Double = 0.2, maxRetryAfter: Duration = .seconds(60)) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.maxRetryAfter = maxRetryAfter
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    /// The wait before attempt `attempt + 1` (attempt counts from 1), or nil when no retry is due.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?, random: Double = .random(in: -1...1)) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        if let retryAfter {
            return retryAfter <= maxRetryAfter ? retryAfter : nil
        }
        return Backoff.delay(attempt: attempt - 1, initial: initialDelay, maximum: maxDelay, jitter: jitter, random: random)
    }
}

/// Exponential backoff with jitter: `min(initial·2^n, maximum)` scaled by `1 ± jitter`.
public enum Backoff {
    /// `random` in -1...1 picks where in the jitter band the delay falls (injected so tests are exact).
    public static func delay(attempt: Int, initial: Duration, maximum: Duration, jitter: Double, random: Double) -> Duration {
        let exponent = Double(min(max(attempt, 0), 62))
        let base = min(initial.seconds * pow(2, exponent), maximum.seconds)
        let scaled = base * (1 + jitter * min(max(random, -1), 1))
        return .milliseconds(Int64((scaled * 1000).rounded()))
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
