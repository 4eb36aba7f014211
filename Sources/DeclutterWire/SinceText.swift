import Foundation

/// The one grammar of a "since": an age counted back from now (`2h`, `1h30m`, `7d`), or an RFC 3339 time. A recovery's
/// `since` and the CLI's `list --since` read it alike.
public enum SinceText {
    public static let rule = "an age such as 30m, 2h or 1d12h (a number of at most 4 digits, maybe with a fraction, per unit d, h, m, s, ms, "
        + "largest first) or an RFC 3339 time such as 2026-11-24T10:00:00Z"

    /// The document's pattern for the age (openapi.yaml `Age`, at least one character): what `DurationText`
    /// reads, bounded so that every match is within its maximum.
    package static let agePattern = #"^([0-9]{1,4}(\.[0-9]{1,3})?d)?([0-9]{1,4}(\.[0-9]{1,3})?h)?([0-9]{1,4}(\.[0-9]{1,3})?m)?([0-9]{1,4}(\.[0-9]{1,3})?s)?([0-9]{1,4}(\.[0-9]{1,3})?ms)?$"#

    public static func date(_ text: String, now: Date) -> Date? {
        if let date = RFC3339.date(text) { return date }
        guard !text.isEmpty, text.range(of: agePattern, options: .regularExpression) != nil, let age = DurationText.parse(text) else { return nil }
        return now - Double(age.milliseconds) / 1000
    }

    /// `text` as the local API's `since` filter takes it: an RFC 3339 time as given, an age as the time it names.
    public static func timestamp(_ text: String, now: Date) -> String? {
        if RFC3339.date(text) != nil { return text }
        return date(text, now: now).map(StoreFormat.timestamp)
    }
}
