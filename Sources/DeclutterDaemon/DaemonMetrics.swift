import DeclutterStore
import Prometheus

/// The daemon's Prometheus metrics, one registry per daemon, every counter made once here (documented in the
/// README's "Metrics", which a test checks against `Self.documented`).
public final class DaemonMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let callbacks: [CallbackOutcome: Counter]
    private let polls: [PollResult: Counter]
    private let submissions: [SubmissionResult: Counter]
    private let conflicts: [EventSource: Counter]
    private let generations: [GenerationState: Gauge]
    private let inFlight: Gauge
    private let remainingPhotos: Gauge
    private let unknownOutcomes: Gauge

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func counters<Label: RawRepresentable<String> & Hashable>(_ name: String, _ help: String, _ label: String,
                                                                  _ values: [Label]) -> [Label: Counter] {
            let descriptor = Self.descriptor(name, "total", help)
            return Dictionary(uniqueKeysWithValues: values.map { ($0, registry.makeCounter(descriptor: descriptor, labels: [(label, $0.rawValue)])) })
        }
        callbacks = counters("callbacks", "Callbacks received, by outcome", "outcome", CallbackOutcome.allCases)
        polls = counters("polls", "Retrieval polls made, by result", "result", PollResult.allCases)
        submissions = counters("submissions", "Local submissions, by result", "result", SubmissionResult.allCases)
        conflicts = counters("transition_conflicts", "Updates refused because they contradict a terminal state", "source", [EventSource.callback, .poll])
        let byState = Self.descriptor("generations", "", "Generations by state")
        generations = Dictionary(uniqueKeysWithValues: GenerationState.allCases.map {
            ($0, registry.makeGauge(descriptor: byState, labels: [("state", $0.rawValue)]))
        })
        inFlight = registry.makeGauge(descriptor: Self.descriptor("polls_in_flight", "", "Retrieval polls running now"))
        remainingPhotos = registry.makeGauge(descriptor: Self.descriptor("remaining_photos", "", "remaining_photos from the latest submission response"))
        unknownOutcomes = registry.makeGauge(descriptor: Self.descriptor("submissions_outcome_unknown", "", "Submissions sent whose outcome is unknown"))
    }

    /// Every metric's full name with the label it carries and that label's values, for the README check.
    public static let documented: [(name: String, label: String?, values: [String])] = [
        ("declutterd_callbacks_total", "outcome", CallbackOutcome.allCases.map(\.rawValue)),
        ("declutterd_polls_total", "result", PollResult.allCases.map(\.rawValue)),
        ("declutterd_submissions_total", "result", SubmissionResult.allCases.map(\.rawValue)),
        ("declutterd_transition_conflicts_total", "source", [EventSource.callback.rawValue, EventSource.poll.rawValue]),
        ("declutterd_polls_in_flight", nil, []),
        ("declutterd_generations", "state", GenerationState.allCases.map(\.rawValue)),
        ("declutterd_remaining_photos", nil, []),
        ("declutterd_submissions_outcome_unknown", nil, []),
    ]

    private static func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "declutterd", metricName: name, unitName: unit, helpText: help)
    }

    func callback(_ outcome: CallbackOutcome) { callbacks[outcome]?.increment() }

    func poll(_ result: PollResult) { polls[result]?.increment() }

    func submission(_ result: SubmissionResult) { submissions[result]?.increment() }

    /// A terminal state contradicted by another terminal status.
    func conflict(source: EventSource) { conflicts[source]?.increment() }

    func pollsInFlight(_ count: Int) { inFlight.set(Double(count)) }

    /// Gauges read from the store at scrape time.
    func record(_ stats: StoreStats) {
        for (state, gauge) in generations { gauge.set(Double(stats.countsByState[state] ?? 0)) }
        if let quota = stats.latestQuota { remainingPhotos.set(Double(quota.remainingPhotos)) }
        unknownOutcomes.set(Double(stats.unknownOutcomes))
    }

    /// The text exposition format.
    public func exposition() -> String { registry.emitToString() }
}
