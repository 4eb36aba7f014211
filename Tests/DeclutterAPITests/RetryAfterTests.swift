@testable import DeclutterAPI
import Foundation
import Testing

@Suite("Retry-After header")
struct RetryAfterTests {
    /// Wed, 21 Oct 2015 07:28:00 GMT.
    static let httpDateInstant = Date(timeIntervalSince1970: 1_445_412_480)

    @Test("delta-seconds", arguments: [("0", 0), ("120", 120_000), (" 3 ", 3_000), ("1.5", 1_500)] as [(String, Int64)])
    func deltaSeconds(_ header: String, _ milliseconds: Int64) {
        #expect(RetryAfter.parse(header) == .milliseconds(milliseconds))
    }

    @Test func httpDateInTheFuture() {
        let now = Self.httpDateInstant.addingTimeInterval(-30)
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == .seconds(30))
    }

    @Test func httpDateInThePastMeansNow() {
        let now = Self.httpDateInstant.addingTimeInterval(3_600)
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == .zero)
    }

    @Test("unusable values are ignored", arguments: ["", "soon", "-5", "nan", "inf", "Infinity", "21 Oct 2015", "Wed, 21 Oct 2015 07:28:00"])
    func unusable(_ header: String) {
        #expect(RetryAfter.parse(header) == nil)
    }

    @Test("absurdly large delays neither crash nor come back short", arguments: ["1e300", "99999999999999999999"])
    func absurdlyLarge(_ header: String) throws {
        let delay = try #require(RetryAfter.parse(header))
        #expect(delay > .seconds(86_400 * 365))
    }
}
