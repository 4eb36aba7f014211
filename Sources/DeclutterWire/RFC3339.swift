import Foundation

/// RFC 3339 date-times (`format: date-time` of JSON Schema), as `?since=` takes them: `2026-11-24T10:00:00Z`,
/// `2026-11-24T10:00:00.123456+01:00`. Exactly what the JSON Schema format checkers accept:
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T` and `Z` in capitals, a real day of a real month of a year
/// from 0001, hours 00–23, minutes and seconds 00–59 (no leap second), any number of fraction digits, an
/// offset of at most ±23:59.
package enum RFC3339 {
    package static func date(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func byte(_ character: Unicode.Scalar) -> UInt8 { UInt8(ascii: character) }
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for index in start..<(start + count) {
                guard (0x30...0x39).contains(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), bytes[4] == byte("-"), let month = number(5, 2), bytes[7] == byte("-"), let day = number(8, 2),
              bytes[10] == byte("T"), let hour = number(11, 2), bytes[13] == byte(":"), let minute = number(14, 2),
              bytes[16] == byte(":"), let second = number(17, 2) else { return nil }
        guard year >= 1, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour <= 23, minute <= 59, second <= 59 else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == byte(".") {
            let start = index + 1
            index = start
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            guard index > start else { return nil }
            // Digits past the ninth (a nanosecond) are beyond what a Date keeps.
            let kept = min(index - start, 9)
            fraction = Double(number(start, kept) ?? 0) / pow(10, Double(kept))
        }
        guard index < bytes.count else { return nil }
        let offset: Int
        if bytes[index] == byte("Z"), index + 1 == bytes.count {
            offset = 0
        } else if bytes[index] == byte("+") || bytes[index] == byte("-"), index + 6 == bytes.count,
                  let offsetHours = number(index + 1, 2), bytes[index + 3] == byte(":"), let offsetMinutes = number(index + 4, 2),
                  offsetHours <= 23, offsetMinutes <= 59 {
            offset = (offsetHours * 3600 + offsetMinutes * 60) * (bytes[index] == byte("-") ? -1 : 1)
        } else {
            return nil
        }
        let seconds = daysFromEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`).
    static func daysFromEpoch(year: Int, month: Int, day: Int) -> Int {
        let shifted = month <= 2 ? year - 1 : year
        let era = (shifted >= 0 ? shifted : shifted - 399) / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
