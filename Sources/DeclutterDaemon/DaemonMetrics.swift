import DeclutterStore
import Prometheus

/// The daemon's Prometheus metrics, one registry per daemon (documented in README "Metrics").
public final class DaemonMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    /// Built once: a callback or poll on the hot path only looks its counter up. (`MetricNameDescriptor`
    /// is an immutable value that does not declare Sendable.)
    private enum Name {
        nonisolated(unsafe) static let callbacks = descriptor("callbacks", "total", "Callbacks received, by outcome")
        nonisolated(unsafe) static let polls = descriptor("polls", "total", "Retrieval polls made, by result")
        nonisolated(unsafe) static let submissions = descriptor("submissions", "total", "Local submissions, by result")
        nonisolated(unsafe) static let conflicts = descriptor("transition_conflicts", "total", "Updates refused because they contradict a terminal state")
        nonisolated(unsafe) static let pollsInFlight = descriptor("polls_in_flight", "", "Retrieval polls running now")
        nonisolated(unsafe) static let generations = descriptor("generations", "", "Generations by state")
        nonisolated(unsafe) static let remainingPhotos = descriptor("remaining_photos", "", "remaining_photos from the latest submission response")
        nonisolated(unsafe) static let unknownOutcomes = descriptor("submissions_outcome_unknown", "", "Submissions sent whose outcome is unknown")

        static func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "declutterd", metricName: name, unitName: unit, helpText: help)
        }
    }

    /// Callbacks by outcome: applied, duplicate, stale, conflict, rejected, unknown_token, forbidden, too_large, unavailable.
    func callback(_ outcome: String) {
        registry.makeCounter(descriptor: Name.callbacks, labels: [("outcome", outcome)]).increment()
    }

    /// Poll answers by result: the event outcome, or the kind of failure.
    func poll(_ result: String) {
        registry.makeCounter(descriptor: Name.polls, labels: [("result", result)]).increment()
    }

    /// Submissions by result: accepted, rejected, outcome_unknown, replayed.
    func submission(_ result: String) {
        registry.makeCounter(descriptor: Name.submissions, labels: [("result", result)]).increment()
    }

    /// A terminal state contradicted by another terminal status.
    func conflict(source: EventSource) {
        registry.makeCounter(descriptor: Name.conflicts, labels: [("source", source.rawValue)]).increment()
    }

    func pollsInFlight(_ count: Int) {
        registry.makeGauge(descriptor: Name.pollsInFlight).set(Double(count))
    }

    /// Gauges read from the store at scrape time.
    func record(_ stats: StoreStats) {
        for state in GenerationState.allCases {
            registry.makeGauge(descriptor: Name.generations, labels: [("state", state.rawValue)]).set(Double(stats.countsByState[state] ?? 0))
        }
        if let quota = stats.latestQuota {
            registry.makeGauge(descriptor: Name.remainingPhotos).set(Double(quota.remainingPhotos))
        }
        registry.makeGauge(descriptor: Name.unknownOutcomes).set(Double(stats.unknownOutcomes))
    }

    /// The text exposition format.
    public func exposition() -> String { registry.emitToString() }
}
