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
    /// `"2026-12-07 15:10:40.123456+00"`: microseconds, cut as postgres-nio cuts a bound `Date`, so a row written in a
    /// batch reads back as one written alone.
    var postgresJSON: String {
        let micros = Int64(timeIntervalSince(PostgresJSONText.postgresEpoch) * 1_000_000)
        var time = time_t(micros.floorDivided(by: 1_000_000) + 946_684_800)
        var parts = tm()
        gmtime_r(&time, &parts)
        let fraction = Int(micros.floorModulo(by: 1_000_000))
        guard (0...9999).contains(Int(parts.tm_year) + 1900) else {
            // Outside four digits (a far-off date typed into a filter): the slow, general form.
            return String(format: "\"%04d-%02d-%02d %02d:%02d:%02d.%06d+00\"", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                          Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), fraction)
        }
        return "\"" + StoreFormat.calendarText(parts, fraction: fraction, digits: 6, separator: " ", suffix: "+00") + "\""
    }
}

extension ByteBuffer: PostgresJSONField {
    /// `bytea`'s hex input form.
    var postgresJSON: String {
        "\"\\\\x" + readableBytesView.hexString + "\""
    }
}

enum PostgresJSONText {
    static let postgresEpoch = Date(timeIntervalSince1970: 946_684_800)

    /// A JSON string literal.
    static func quote(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + text + "\""  // most values: nothing to escape
        }
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
