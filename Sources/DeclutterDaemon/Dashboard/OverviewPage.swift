import DeclutterStore
import Foundation

/// `GET /`: the numbers an operator looks at first, and the last day's generations per hour.
struct OverviewPage: Sendable {
    struct StateCount: Sendable {
        let state: String
        let count: Int
    }

    let frame = PageFrame("overview")
    let states: [StateCount]
    let pending: Int
    let endedWithoutResult: Int
    let hasRemainingPhotos: Bool
    let remainingPhotos: Int
    let remainingPhotosRecordedAt: String
    let refundsSince: Int
    let resolvedByCallback: Int
    let resolvedByPoll: Int
    let hasOldestPending: Bool
    let oldestPendingAge: String
    let pollsInFlight: Int
    let outcomeUnknown: Int
    let pendingDeliveries: Int
    let failedDeliveries: Int
    let enabledEndpoints: Int
    let disabledEndpoints: Int
    let archivePending: Int
    let archived: Int
    let archiveFailed: Int
    let chart: HourlyChart
    let generatedAt: String

    init(stats: StoreStats, pollsInFlight: Int, deliveries: DeliveryStats, failedDeliveries: Int, archive: ArchiveCounts,
         hourly: [String: HourlyOutcomes], now: Date) {
        states = GenerationState.allCases.map { StateCount(state: $0.rawValue, count: stats.countsByState[$0] ?? 0) }
        pending = stats.pending
        endedWithoutResult = stats.endedWithoutResult
        hasRemainingPhotos = stats.latestQuota?.remainingPhotos != nil
        remainingPhotos = stats.latestQuota?.remainingPhotos ?? 0
        remainingPhotosRecordedAt = stats.latestQuota.map { StoreFormat.timestamp($0.recordedAt) } ?? ""
        refundsSince = stats.refundsSinceQuota
        resolvedByCallback = stats.resolvedByCallback
        resolvedByPoll = stats.resolvedByPoll
        hasOldestPending = stats.oldestPendingCreatedAt != nil
        oldestPendingAge = stats.oldestPendingCreatedAt.map { Self.age(now.timeIntervalSince($0)) } ?? ""
        self.pollsInFlight = pollsInFlight
        outcomeUnknown = stats.unknownOutcomes
        pendingDeliveries = deliveries.pending
        self.failedDeliveries = failedDeliveries
        enabledEndpoints = deliveries.enabledEndpoints
        disabledEndpoints = deliveries.disabledEndpoints
        archivePending = archive.pending
        archived = archive.archived
        archiveFailed = archive.failed
        chart = HourlyChart(hourly, now: now)
        generatedAt = StoreFormat.timestamp(now)
    }

    /// `42 s`, `7 min`, `3 h 5 min`, `2 d 4 h`: an age an operator reads at a glance.
    static func age(_ seconds: TimeInterval) -> String {
        let whole = max(0, Int(seconds))
        switch whole {
        case ..<60: return "\(whole) s"
        case ..<3600: return "\(whole / 60) min"
        case ..<86_400: return "\(whole / 3600) h \(whole % 3600 / 60) min"
        default: return "\(whole / 86_400) d \(whole % 86_400 / 3600) h"
        }
    }
}
