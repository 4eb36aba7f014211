@testable import DeclutterDaemon
import DeclutterStore
import Foundation
import Testing

@Suite("The retry schedule of webhook deliveries, as values")
struct DeliveryScheduleTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// Attempts at 0, then 5 s, 5 min and 30 min after the one before: four in all.
    static let schedule = DeliverySchedule({
        var configuration = DeliveryConfiguration()
        configuration.retrySchedule = [.zero, .seconds(5), .seconds(300), .seconds(1800)]
        configuration.maximumRetryAfter = .seconds(3600)
        return configuration
    }())

    func verdict(_ answer: AttemptAnswer, after roundAttempts: Int = 0, jitter: Double = 0) -> AttemptVerdict {
        Self.schedule.verdict(for: answer, roundAttempts: roundAttempts, at: Self.t0, jitter: jitter)
    }

    @Test("after attempt n the next waits step n; after the last step, failed", arguments: [(0, 5.0), (1, 300.0), (2, 1800.0)])
    func steps(made: Int, wait: Double) {
        #expect(verdict(.status(500), after: made) == .retry(at: Self.t0 + wait))
        #expect(verdict(.noAnswer, after: made) == .retry(at: Self.t0 + wait))
    }

    @Test("the attempt of the last step fails the message, whatever the answer but 2xx")
    func lastStep() {
        #expect(verdict(.status(500), after: 3) == .failed)
        #expect(verdict(.noAnswer, after: 3) == .failed)
        #expect(verdict(.status(429, retryAfter: "5"), after: 3) == .failed)
        #expect(verdict(.status(200), after: 3) == .delivered)
    }

    @Test("any 2xx is delivered; 3xx (redirects are not followed), 4xx and 5xx are not", arguments: [200, 201, 204, 299])
    func delivered(status: Int) {
        #expect(verdict(.status(status)) == .delivered)
    }

    @Test("a redirect, a client or a server error is retried", arguments: [301, 302, 400, 404, 500, 502])
    func retried(status: Int) {
        #expect(verdict(.status(status)) == .retry(at: Self.t0 + 5))
    }

    @Test("410 Gone at any step: gone")
    func gone() {
        #expect(verdict(.status(410)) == .gone)
        #expect(verdict(.status(410), after: 3) == .gone)
    }

    @Test("jitter stretches a wait by up to notify.jitter (10 %), never shortens it", arguments: [0.0, 0.25, 0.5, 1.0, -3.0, 7.0])
    func jitter(draw: Double) throws {
        guard case .retry(let date) = verdict(.status(500), after: 1, jitter: draw) else { throw Unexpected() }
        let wait = date.timeIntervalSince(Self.t0)
        #expect(wait >= 300 && wait <= 330, "\(wait)")
        if (0...1).contains(draw) { #expect(abs(wait - 300 * (1 + 0.1 * draw)) < 0.001) }
    }

    @Test("Retry-After on 429 and 503 is honoured when longer than the schedule's wait", arguments: [429, 503])
    func retryAfterHonoured(status: Int) {
        #expect(verdict(.status(status, retryAfter: "120")) == .retry(at: Self.t0 + 120))
        #expect(verdict(.status(status, retryAfter: "2")) == .retry(at: Self.t0 + 5), "shorter: the schedule stands")
        #expect(verdict(.status(status, retryAfter: "Fri, 15 Jan 2027 08:10:00 GMT")) == .retry(at: Self.t0 + 600))
        #expect(verdict(.status(status, retryAfter: "soon")) == .retry(at: Self.t0 + 5), "unreadable: the schedule stands")
    }

    @Test("Retry-After is capped at notify.max_retry_after, and ignored on other statuses")
    func retryAfterBounds() {
        #expect(verdict(.status(503, retryAfter: "999999")) == .retry(at: Self.t0 + 3600))
        #expect(verdict(.status(500, retryAfter: "120")) == .retry(at: Self.t0 + 5))
        #expect(verdict(.status(502, retryAfter: "120")) == .retry(at: Self.t0 + 5))
    }

    @Test("the default schedule: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; eight attempts")
    func defaults() {
        let schedule = DeliverySchedule(DeliveryConfiguration())
        let waits = (0..<7).map { made -> Double? in
            guard case .retry(let date) = schedule.verdict(for: .noAnswer, roundAttempts: made, at: Self.t0, jitter: 0) else { return nil }
            return date.timeIntervalSince(Self.t0)
        }
        #expect(waits == [5, 300, 1800, 7200, 18_000, 36_000, 36_000])
        #expect(schedule.verdict(for: .noAnswer, roundAttempts: 7, at: Self.t0, jitter: 0) == .failed)
    }

    struct Unexpected: Error {}
}
