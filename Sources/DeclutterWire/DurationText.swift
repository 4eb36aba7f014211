import Foundation

/// The one way durations are written, read and shown: in the configuration, in `--since`, and in the CLI's
/// output. One or more parts, each a number (digits, maybe a decimal point) and a unit, largest first:
/// `500ms`, `30s`, `10m`, `1h30m`, `1.5h`, `7d`. A unit is required (a bare `10` is refused: seconds or
/// minutes?), and anything longer than `maximum` is refused rather than overflowing.
public enum DurationText {
    /// The longest duration accepted: 100 years.
    public static let maximum: Duration = .seconds(100 * 365 * 86_400)

    /// What a value should look like, for error messages.
    public static let expected = "a duration with its unit, such as 500ms, 30s, 10m, 1h30m or 7d (at most 36500d)"

    package static let units: [(suffix: String, milliseconds: Int64)] = [("d", 86_400_000), ("h", 3_600_000), ("ms", 1), ("m", 60_000), ("s", 1000)]

    /// Nil when `text` is not a duration, or is longer than `maximum`.
    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        var previousUnit = Int64.max
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            rest = rest.dropFirst(digits.count)
            guard let amount = number(digits), let unit = units.first(where: { rest.hasPrefix($0.suffix) }),
                  unit.milliseconds < previousUnit else { return nil }  // each unit once, largest first
            previousUnit = unit.milliseconds
            rest = rest.dropFirst(unit.suffix.count)
            total += amount * Double(unit.milliseconds)
            guard total <= Double(maximum.milliseconds) else { return nil }
        }
        return milliseconds(total)
    }

    /// Exactly, in whole units, largest first: `600s` → `10m`, `90s` → `1m30s`, `1500ms` → `1s500ms`, zero → `0s`.
    /// `parse` reads it back to the same value.
    public static func format(_ duration: Duration) -> String {
        var rest = duration.milliseconds
        guard rest > 0 else { return "0s" }
        var text = ""
        for unit in units.sorted(by: { $0.milliseconds > $1.milliseconds }) where rest >= unit.milliseconds {
            text += "\(rest / unit.milliseconds)\(unit.suffix)"
            rest %= unit.milliseconds
        }
        return text
    }

    /// For people, rounded: `12.3s` under a minute, else the two largest units (`4m05s`, `2h03m`, `1d04h`).
    /// `parse` reads it too.
    public static func approximate(seconds: Double) -> String {
        let seconds = max(seconds.isFinite ? seconds : 0, 0)
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let whole = Int(min(seconds, Double(maximum.milliseconds / 1000)))
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        if whole < 86400 { return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60) }
        return String(format: "%dd%02dh", whole / 86400, whole % 86400 / 3600)
    }

    /// Digits with at most one decimal point.
    private static func number(_ text: Substring) -> Double? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              text.filter({ $0 == "." }).count <= 1, text != "." else { return nil }
        return Double(text)
    }

    private static func milliseconds(_ value: Double) -> Duration? {
        guard value.isFinite, value >= 0, value <= Double(maximum.milliseconds) else { return nil }
        return .milliseconds(Int64(value.rounded()))
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    package var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
