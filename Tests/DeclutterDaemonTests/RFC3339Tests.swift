@testable import DeclutterDaemon
import DeclutterWire
import Foundation
import Testing

/// `?since=`: RFC 3339 date-times, exactly as the document's `format: date-time` (and schemathesis) reads them.
@Suite("RFC 3339 times")
struct RFC3339Tests {
    @Test("accepted, each at the instant it names")
    func accepted() throws {
        let cases: [(String, Double)] = [
            ("1970-01-01T00:00:00Z", 0),
            ("2026-11-24T10:00:00Z", 1_795_514_400),
            ("2026-11-24T10:00:00.123Z", 1_795_514_400.123),
            ("2026-11-24T11:00:00+01:00", 1_795_514_400),
            ("2026-11-24T04:30:00-05:30", 1_795_514_400),
            ("2026-11-24T10:00:00.5+00:00", 1_795_514_400.5),
            ("2026-11-24T10:00:00.123456789123Z", 1_795_514_400.123456789),
            ("2024-02-29T00:00:00Z", 1_709_164_800),
            ("2000-02-29T23:59:59Z", 951_868_799),
            ("1969-12-31T23:59:59Z", -1),
            ("0001-01-01T00:00:00Z", -62_135_596_800),
            ("9999-12-31T23:59:59+23:59", 253_402_214_459),
            ("0051-03-02T10:49:58.6+18:13", -60_552_602_581.4),
        ]
        for (text, seconds) in cases {
            let date = try #require(RFC3339.date(text), "\(text) refused")
            #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_01, "\(text): \(date.timeIntervalSince1970)")
        }
    }

    @Test("refused: not RFC 3339, or not a real date and time")
    func refused() {
        for text in ["", "yesterday", "2026-11-24", "2026-11-24T10:00:00", "2026-11-24 10:00:00Z", "2026-11-24t10:00:00z",
                     "2026-11-24T10:00Z", "2026-11-24T10:00:00.Z", "2026-11-24T10:00:00+0100", "2026-11-24T10:00:00+01",
                     "2026-11-24T10:00:00+24:00", "2026-11-24T10:00:00+01:60", "2026-11-24T24:00:00Z", "2026-11-24T10:60:00Z",
                     "2026-11-24T23:59:60Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-02-29T00:00:00Z",
                     "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-00T00:00:00Z", "0000-01-01T00:00:00Z",
                     "+2026-11-24T10:00:00Z", "2026-11-24T10:00:00Z ", " 2026-11-24T10:00:00Z", "2026-11-24T10:00:00ZZ",
                     "２026-11-24T10:00:00Z", "2026-11-24T10:00:00.１Z"] {
            #expect(RFC3339.date(text) == nil, "\(text.debugDescription) accepted")
        }
    }
}
