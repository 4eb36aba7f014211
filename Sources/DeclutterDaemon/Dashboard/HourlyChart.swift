import DeclutterStore
import Foundation

/// The overview's chart: generations per hour over the last 24 hours, one stacked bar per hour (succeeded at the
/// bottom, then failed/rejected/lost, then pending), drawn on the server as SVG shapes so it needs no script.
struct HourlyChart: Sendable {
    struct Segment: Sendable {
        let outcome: String
        let x: Int
        let y: Int
        let width: Int
        let height: Int
        let label: String
    }

    struct Tick: Sendable {
        let x: Int
        let label: String
    }

    static let hours = 24
    static let barWidth = 20
    static let plotHeight = 120
    static let axisHeight = 16

    let width = hours * barWidth
    let height = plotHeight + axisHeight
    let plotHeight = HourlyChart.plotHeight
    let segments: [Segment]
    let ticks: [Tick]
    let maximum: Int
    let total: Int

    /// The first hour the chart shows: the start of the hour 23 hours before `now`'s.
    static func start(now: Date) -> Date {
        let hour = (now.timeIntervalSince1970 / 3600).rounded(.down) * 3600
        return Date(timeIntervalSince1970: hour - Double(hours - 1) * 3600)
    }

    init(_ counts: [String: HourlyOutcomes], now: Date) {
        let start = Self.start(now: now)
        let hourKeys = (0..<Self.hours).map { String(StoreFormat.timestamp(start.addingTimeInterval(Double($0) * 3600)).prefix(13)) }
        let bars = hourKeys.map { counts[$0] ?? HourlyOutcomes(hour: $0) }
        let maximum = max(1, bars.map { $0.succeeded + $0.endedWithoutResult + $0.pending }.max() ?? 0)
        var segments: [Segment] = []
        for (index, bar) in bars.enumerated() {
            var top = Self.plotHeight
            for (outcome, count) in [("succeeded", bar.succeeded), ("failed", bar.endedWithoutResult), ("pending", bar.pending)] where count > 0 {
                let height = max(1, count * Self.plotHeight / maximum)
                top -= height
                segments.append(Segment(outcome: outcome, x: index * Self.barWidth + 2, y: top, width: Self.barWidth - 4, height: height,
                                        label: "\(bar.hour):00Z: \(count) \(outcome)"))
            }
        }
        self.segments = segments
        ticks = stride(from: 0, to: Self.hours, by: 6).map { Tick(x: $0 * Self.barWidth + 2, label: String(hourKeys[$0].suffix(2)) + ":00Z") }
        self.maximum = maximum
        total = bars.map { $0.succeeded + $0.endedWithoutResult + $0.pending }.reduce(0, +)
    }
}
