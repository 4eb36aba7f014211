import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A column value as the JSON of a batch row holds it, in the text PostgreSQL's input function for the column's
/// type reads (`jsonb_populate_recordset` hands each JSON string to it): the same value a bound parameter carries.
protocol PostgresJSONField {
    var postgresJSON: String { get }
}

extension String: PostgresJSONField {
    var postgresJSON: String { PostgresJSONText.quote(self) }
}

extension Int: PostgresJSONField {
    var postgresJSON: String { String(self) }
}

extension Int64: PostgresJSONField {
    var postgresJSON: String { String(self) }
}

extension Bool: PostgresJSONField {
    var postgresJSON: String { self ? "true" : "false" }
}

extension UUID: PostgresJSONField {
    var postgresJSON: String { "\"\(uuidString)\"" }
}

extension Date: PostgresJSONField {
    /// Microseconds, cut as postgres-nio cuts a bound `Date`: a row written in a batch reads back as one written alone.
    var postgresJSON: String {
        let micros = Int64(timeIntervalSince(PostgresJSONText.postgresEpoch) * 1_000_000)
        let (seconds, fraction) = (micros.floorDivided(by: 1_000_000), micros.floorModulo(by: 1_000_000))
        var time = time_t(seconds + 946_684_800)
        var parts = tm()
        gmtime_r(&time, &parts)
        let text = String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                          Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), fraction)
        return "\"\(text)\""
    }
}

extension ByteBuffer: PostgresJSONField {
    /// `bytea`'s hex input form.
    var postgresJSON: String {
        "\"\\\\x" + readableBytesView.map { String(format: "%02x", $0) }.joined() + "\""
    }
}

enum PostgresJSONText {
    static let postgresEpoch = Date(timeIntervalSince1970: 946_684_800)

    /// A JSON string literal.
    static func quote(_ text: String) -> String {
        var quoted = "\""
        quoted.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20: quoted += String(format: "\\u%04x", scalar.value)
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}

private extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }

    func floorModulo(by divisor: Int64) -> Int64 {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
