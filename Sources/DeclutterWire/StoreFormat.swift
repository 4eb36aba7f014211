import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How values are written in the database so that `sqlite3` shows them plainly, and on the wire alike: one place for
/// each rule.
public enum StoreFormat {
    /// ISO-8601 UTC with milliseconds, `2026-11-24T23:10:08.123Z`; sorts as text in time order.
    public static func timestamp(_ date: Date) -> String {
        // To the microsecond first: a Date counts from 2001, so one made (or parsed back) from an exact
        // millisecond can sit a few ulps below it, and plain truncation would lose that millisecond.
        let microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let milliseconds = microseconds.floorDivided(by: 1000)
        var seconds = time_t(milliseconds.floorDivided(by: 1000))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        guard (0...9999).contains(year) else {
            // Outside four digits (a far-off date typed into a filter): the slow, general form.
            return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                          Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(milliseconds.floorModulo(by: 1000)))
        }
        return calendarText(parts, fraction: Int(milliseconds.floorModulo(by: 1000)), digits: 3, separator: "T", suffix: "Z")
    }

    /// `YYYY-MM-DD<separator>HH:MM:SS.<fraction><suffix>` for a four-digit year, written by hand rather than with
    /// String(format:): every row the writers touch carries a few of these (SQLite's text, PostgreSQL's batch JSON).
    package static func calendarText(_ parts: tm, fraction: Int, digits fractionDigits: Int, separator: Character, suffix: String) -> String {
        var text = [UInt8]()
        text.reserveCapacity(32)
        func digits(_ value: Int, _ count: Int, then separator: Character?) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
            if let separator { text.append(separator.asciiValue!) }
        }
        digits(Int(parts.tm_year) + 1900, 4, then: "-")
        digits(Int(parts.tm_mon) + 1, 2, then: "-")
        digits(Int(parts.tm_mday), 2, then: separator)
        digits(Int(parts.tm_hour), 2, then: ":")
        digits(Int(parts.tm_min), 2, then: ":")
        digits(Int(parts.tm_sec), 2, then: ".")
        digits(fraction, fractionDigits, then: nil)
        return String(decoding: text, as: UTF8.self) + suffix
    }

    /// Parses what `timestamp(_:)` writes (milliseconds optional).
    public static func date(fromTimestamp text: String) -> Date? {
        let digits = text.utf8.map { $0 }
        guard digits.count >= 20, digits[4] == UInt8(ascii: "-"), digits[10] == UInt8(ascii: "T"), digits.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(digits[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else { return nil }
        var milliseconds = 0
        if digits.count == 24, digits[19] == UInt8(ascii: "."), let value = number(20..<23) { milliseconds = value }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        return Date(timeIntervalSince1970: Double(seconds) + Double(milliseconds) / 1000)
    }

    /// UUIDs are stored lowercase, as the service writes them.
    public static func uuid(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }
}

extension Int64 {
    package func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    package func floorModulo(by divisor: Int64) -> Int64 {
        self - floorDivided(by: divisor) * divisor
    }
}

extension Sequence<UInt8> {
    /// Lowercase hexadecimal.
    package var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
