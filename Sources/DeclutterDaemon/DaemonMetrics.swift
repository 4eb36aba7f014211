import DeclutterStore
import Prometheus

/// The daemon's Prometheus metrics, one registry per daemon (documented in README "Metrics").
public final class DaemonMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    /// Callbacks by outcome: applied, duplicate, stale, conflict, rejected, unknown_token, forbidden, too_large, unavailable.
    func callback(_ outcome: String) {
        registry.makeCounter(name: "declutterd_callbacks_total", labels: [("outcome", outcome)],
                             help: "Callbacks received, by outcome").increment()
    }

    /// Poll answers by result: the event outcome, or the kind of failure.
    func poll(_ result: String) {
        registry.makeCounter(name: "declutterd_polls_total", labels: [("result", result)],
                             help: "Retrieval polls made, by result").increment()
    }

    /// Submissions by result: accepted, rejected, outcome_unknown, replayed.
    func submission(_ result: String) {
        registry.makeCounter(name: "declutterd_submissions_total", labels: [("result", result)],
                             help: "Local submissions, by result").increment()
    }

    /// A terminal state contradicted by another terminal status.
    func conflict(source: EventSource) {
        registry.makeCounter(name: "declutterd_transition_conflicts_total", labels: [("source", source.rawValue)],
                             help: "Updates refused because they contradict a terminal state").increment()
    }

    func pollsInFlight(_ count: Int) {
        registry.makeGauge(name: "declutterd_polls_in_flight", help: "Retrieval polls running now").set(Double(count))
    }

    /// Gauges read from the store at scrape time.
    func record(_ stats: StoreStats) {
        for state in GenerationState.allCases {
            registry.makeGauge(name: "declutterd_generations", labels: [("state", state.rawValue)], help: "Generations by state")
                .set(Double(stats.countsByState[state] ?? 0))
        }
        if let quota = stats.latestQuota {
            registry.makeGauge(name: "declutterd_remaining_photos", help: "remaining_photos from the latest submission response")
                .set(Double(quota.remainingPhotos))
        }
        registry.makeGauge(name: "declutterd_submissions_outcome_unknown", help: "Submissions sent whose outcome is unknown")
            .set(Double(stats.unknownOutcomes))
    }

    /// The text exposition format.
    public func exposition() -> String { registry.emitToString() }
}
