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

    static let template = """
        {{<layout}}
        {{$title}}Overview{{/title}}
        {{$main}}
        <h1>Overview</h1>
        <p class="as-of">As of <time datetime="{{generatedAt}}">{{generatedAt}}</time></p>
        <div class="cards">
        <section class="card" aria-labelledby="states-heading">
        <h2 id="states-heading">Generations</h2>
        <dl id="state-counts">
        {{#states}}<div><dt>{{state}}</dt><dd data-state="{{state}}">{{count}}</dd></div>
        {{/states}}</dl>
        <p>{{pending}} pending, {{endedWithoutResult}} ended without a result, {{outcomeUnknown}} with an unknown outcome.</p>
        </section>
        <section class="card" aria-labelledby="quota-heading">
        <h2 id="quota-heading">Photos and polling</h2>
        <dl>
        <div><dt>Photos left</dt><dd id="remaining-photos">{{#hasRemainingPhotos}}{{remainingPhotos}} <small>(<time datetime="{{remainingPhotosRecordedAt}}">{{remainingPhotosRecordedAt}}</time>)</small>{{/hasRemainingPhotos}}{{^hasRemainingPhotos}}unknown{{/hasRemainingPhotos}}</dd></div>
        <div><dt>Refunds since</dt><dd id="refunds">{{refundsSince}}</dd></div>
        <div><dt>Resolved by callback</dt><dd id="resolved-callback">{{resolvedByCallback}}</dd></div>
        <div><dt>Resolved by poll</dt><dd id="resolved-poll">{{resolvedByPoll}}</dd></div>
        <div><dt>Oldest pending</dt><dd id="oldest-pending">{{#hasOldestPending}}{{oldestPendingAge}}{{/hasOldestPending}}{{^hasOldestPending}}none{{/hasOldestPending}}</dd></div>
        <div><dt>Polls in flight</dt><dd id="polls-in-flight">{{pollsInFlight}}</dd></div>
        </dl>
        </section>
        <section class="card" aria-labelledby="delivery-heading">
        <h2 id="delivery-heading">Delivery</h2>
        <dl>
        <div><dt>Pending deliveries</dt><dd id="pending-deliveries">{{pendingDeliveries}}</dd></div>
        <div><dt>Failed deliveries</dt><dd id="failed-deliveries">{{failedDeliveries}}</dd></div>
        <div><dt>Enabled endpoints</dt><dd id="enabled-endpoints">{{enabledEndpoints}}</dd></div>
        <div><dt>Disabled endpoints</dt><dd id="disabled-endpoints">{{disabledEndpoints}}</dd></div>
        </dl>
        <p><a href="/endpoints">Endpoints</a></p>
        </section>
        <section class="card" aria-labelledby="archive-heading">
        <h2 id="archive-heading">Archive</h2>
        <dl>
        <div><dt>Pending</dt><dd id="archive-pending">{{archivePending}}</dd></div>
        <div><dt>Archived</dt><dd id="archive-archived">{{archived}}</dd></div>
        <div><dt>Failed</dt><dd id="archive-failed">{{archiveFailed}}</dd></div>
        </dl>
        </section>
        </div>
        <section aria-labelledby="chart-heading">
        <h2 id="chart-heading">Last 24 hours</h2>
        {{#chart}}
        """ + HourlyChart.template + """
        {{/chart}}
        </section>
        {{/main}}
        {{/layout}}
        """
}
