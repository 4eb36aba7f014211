import DeclutterStore
import Foundation
import TestSupport
import Testing

@Suite("Store formats: timestamps and callback tokens")
struct StoreFormatTests {
    @Test("timestamps are ISO-8601 UTC with milliseconds", arguments: [
        (0, "1970-01-01T00:00:00.000Z"),
        (1_800_000_000.123, "2027-01-15T08:00:00.123Z"),
        (1_800_000_000.1239, "2027-01-15T08:00:00.123Z"),
        (-0.001, "1969-12-31T23:59:59.999Z"),
        (951_782_400, "2000-02-29T00:00:00.000Z"),
        (253_402_300_799.999, "9999-12-31T23:59:59.999Z"),
        (253_402_300_800, "10000-01-01T00:00:00.000Z"),
        (-62_167_219_200.001, "-001-12-31T23:59:59.999Z"),
    ] as [(TimeInterval, String)])
    func format(_ seconds: TimeInterval, _ text: String) {
        #expect(StoreFormat.timestamp(Date(timeIntervalSince1970: seconds)) == text)
    }

    /// Millisecond instants, some of which a Double round trip puts a hair below their millisecond.
    @Test("a timestamp parses back to the same millisecond", arguments: [
        0, 1, 999, -1, 1_097_821_233_113, 368_197_990_017, 1_800_000_000_123, 2_172_308_490_325, 4_102_444_799_999,
    ] as [Int64])
    func roundTrip(_ milliseconds: Int64) throws {
        let text = StoreFormat.timestamp(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        let parsed = try #require(StoreFormat.date(fromTimestamp: text))
        #expect(StoreFormat.timestamp(parsed) == text)
        #expect(Int64((parsed.timeIntervalSince1970 * 1000).rounded()) == milliseconds)
    }

    @Test func everyMillisecondOfARangeRoundTrips() {
        var broken: [String] = []
        for milliseconds in stride(from: Int64(1_097_821_200_000), to: 1_097_821_210_000, by: 1) {
            let text = StoreFormat.timestamp(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            let keepsItsMillisecond = text.hasSuffix(String(format: ".%03dZ", Int(milliseconds % 1000)))
            if !keepsItsMillisecond || StoreFormat.date(fromTimestamp: text).map(StoreFormat.timestamp) != text {
                broken.append(text)
            }
        }
        #expect(broken.isEmpty, "\(broken.count) milliseconds are lost or change on a round trip, e.g. \(broken.prefix(3))")
    }

    @Test func formatHasFixedShape() {
        let text = StoreFormat.timestamp(Date())
        #expect(text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
    }

    @Test func millisecondsAreOptionalWhenParsing() {
        #expect(StoreFormat.date(fromTimestamp: "2027-01-15T08:00:00Z") == Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test("malformed timestamps are refused", arguments: [
        "", "2027-01-15", "2027-01-15T08:00:00.000", "2027-01-15 08:00:00.000Z", "2027-01-15T08:0a:00.000Z", "not a timestamp at all",
    ])
    func malformed(_ text: String) {
        #expect(StoreFormat.date(fromTimestamp: text) == nil)
    }

    @Test func callbackTokenIs256BitsOfBase64URL() {
        let token = CallbackToken.random()
        #expect(token.value.count == 43)
        #expect(token.value.wholeMatch(of: /[A-Za-z0-9_-]{43}/) != nil)
        #expect(token.hash.wholeMatch(of: /[0-9a-f]{64}/) != nil)
        #expect(token.hash == CallbackToken.hash(of: token.value))
        let other = CallbackToken.random()
        #expect(other.value != token.value)
        #expect(other.hash != token.hash)
    }

    @Test func tokenHashIsSHA256Hex() {
        #expect(CallbackToken.hash(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func callbackURLJoinsBaseAndToken() {
        let token = CallbackToken(value: "abc_-1")
        #expect(token.url(publicBaseURL: "https://hooks.example.com/") == "https://hooks.example.com/callbacks/abc_-1")
        #expect(token.url(publicBaseURL: "https://hooks.example.com") == "https://hooks.example.com/callbacks/abc_-1")
    }
}
