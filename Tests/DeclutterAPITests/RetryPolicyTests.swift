@testable import DeclutterAPI
import Testing

@Suite("Backoff and retry policy")
struct RetryPolicyTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let attempt: Int
        let random: Double
        let milliseconds: Int64
        var testDescription: String { "attempt \(attempt), random \(random) → \(milliseconds) ms" }
    }

    /// initial 500 ms, maximum 20 s, jitter ±20 %.
    @Test("Backoff.delay is min(initial·2^n, maximum) scaled by 1 ± jitter", arguments: [
        Case(attempt: 0, random: 0, milliseconds: 500),
        Case(attempt: 1, random: 0, milliseconds: 1_000),
        Case(attempt: 3, random: 0, milliseconds: 4_000),
        Case(attempt: 5, random: 0, milliseconds: 16_000),
        Case(attempt: 6, random: 0, milliseconds: 20_000),
        Case(attempt: 1_000, random: 0, milliseconds: 20_000),
        Case(attempt: -3, random: 0, milliseconds: 500),
        Case(attempt: 0, random: 1, milliseconds: 600),
        Case(attempt: 0, random: -1, milliseconds: 400),
        Case(attempt: 2, random: 0.5, milliseconds: 2_200),
        Case(attempt: 6, random: 1, milliseconds: 24_000),
        Case(attempt: 6, random: -1, milliseconds: 16_000),
        Case(attempt: 1, random: 7, milliseconds: 1_200),
        Case(attempt: 1, random: -7, milliseconds: 800),
    ])
    func backoff(_ example: Case) {
        let delay = Backoff.delay(attempt: example.attempt, initial: .milliseconds(500), maximum: .seconds(20),
                                  jitter: 0.2, random: example.random)
        #expect(delay == .milliseconds(example.milliseconds))
    }

    @Test func policyDelaysFollowTheBackoffFromTheFirstAttempt() {
        let policy = RetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(500), maxDelay: .seconds(20), jitter: 0.2)
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, random: 0) == .milliseconds(500))
        #expect(policy.delay(afterAttempt: 2, retryAfter: nil, random: 0) == .seconds(1))
        #expect(policy.delay(afterAttempt: 3, retryAfter: nil, random: -1) == .milliseconds(1_600))
    }

    @Test func policyStopsAfterMaxAttempts() {
        let policy = RetryPolicy(maxAttempts: 4)
        #expect(policy.delay(afterAttempt: 4, retryAfter: nil, random: 0) == nil)
        #expect(policy.delay(afterAttempt: 4, retryAfter: .seconds(1), random: 0) == nil)
        #expect(RetryPolicy.none.delay(afterAttempt: 1, retryAfter: nil, random: 0) == nil)
    }

    @Test func retryAfterReplacesTheBackoffUpToItsLimit() {
        let policy = RetryPolicy(maxAttempts: 4, maxDelay: .seconds(20), maxRetryAfter: .seconds(60))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(45), random: 1) == .seconds(45))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(60), random: 0) == .seconds(60))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(61), random: 0) == nil)
        #expect(policy.delay(afterAttempt: 1, retryAfter: .zero, random: 0) == .zero)
    }

    @Test func durationSeconds() {
        #expect(Duration.milliseconds(1_500).seconds == 1.5)
        #expect(Duration.seconds(-2).seconds == -2)
    }
}
