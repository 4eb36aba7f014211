import DeclutterStore
import Foundation
import Prometheus
import Synchronization

/// The daemon's Prometheus metrics, one registry per daemon. Each metric is declared once below (`Self.all`):
/// the counters are made from it at start, and the README's metric table is checked against it.
public final class DaemonMetrics: Sendable {
    /// One metric: its name under `declutterd_`, help, and the labels it carries with every value each can take.
    public struct Family: Sendable {
        public struct Label: Sendable {
            public let name: String
            public let values: [String]
        }

        public let name: String
        public let unit: String
        public let help: String
        public private(set) var labels: [Label]

        init(_ name: String, unit: String = "", _ help: String) {
            (self.name, self.unit, self.help, labels) = (name, unit, help, [])
        }

        init<First: RawRepresentable<String> & CaseIterable>(_ name: String, unit: String = "", _ help: String, label: String, _: First.Type) {
            (self.name, self.unit, self.help) = (name, unit, help)
            labels = [Label(name: label, values: First.allCases.map(\.rawValue))]
        }

        init<First: RawRepresentable<String> & CaseIterable, Second: RawRepresentable<String> & CaseIterable>(
            _ name: String, unit: String = "", _ help: String, label: String, _: First.Type, second: String, _: Second.Type
        ) {
            (self.name, self.unit, self.help) = (name, unit, help)
            labels = [Label(name: label, values: First.allCases.map(\.rawValue)), Label(name: second, values: Second.allCases.map(\.rawValue))]
        }

        /// A metric with one series per local API key (`key`, the key's name: as many as there are keys), and maybe a
        /// second, fixed label; its series are made as keys are seen.
        init(perKey name: String, unit: String = "", _ help: String) {
            (self.name, self.unit, self.help) = (name, unit, help)
            labels = [Label(name: "key", values: [])]
        }

        init<Second: RawRepresentable<String> & CaseIterable>(perKey name: String, unit: String = "", _ help: String, second: String,
                                                             _: Second.Type) {
            self.init(perKey: name, unit: unit, help)
            labels.append(Label(name: second, values: Second.allCases.map(\.rawValue)))
        }

        /// `declutterd_callbacks_total`.
        public var fullName: String { "declutterd_" + name + (unit.isEmpty ? "" : "_" + unit) }

        var descriptor: MetricNameDescriptor {
            MetricNameDescriptor(namespace: "declutterd", metricName: name, unitName: unit, helpText: help)
        }

        /// Every combination of label values, as name-value pairs.
        var combinations: [[(String, String)]] {
            labels.reduce([[]]) { partial, label in
                partial.flatMap { pairs in label.values.map { pairs + [(label.name, $0)] } }
            }
        }
    }

    static let callbacks = Family("callbacks", unit: "total", "Callbacks received, by outcome", label: "outcome", CallbackOutcome.self)
    static let polls = Family("polls", unit: "total", "Retrieval polls made, by result", label: "result", PollResult.self)
    static let submissions = Family("submissions", unit: "total", "Local submissions, by result", label: "result", SubmissionResult.self)
    static let conflicts = Family("transition_conflicts", unit: "total", "Updates refused because they contradict a terminal state",
                                  label: "source", ConflictSource.self)
    static let inFlight = Family("polls_in_flight", "Retrieval polls running now")
    static let generations = Family("generations", "Generations by state", label: "state", GenerationState.self)
    static let remainingPhotos = Family("remaining_photos", "remaining_photos from the latest submission response")
    static let unknownOutcomes = Family("submissions_outcome_unknown", "Submissions sent whose outcome is unknown")
    static let connectionsDropped = Family("connections_dropped", unit: "total", "Connections the daemon closed, by listener and reason",
                                           label: "reason", ConnectionDrop.self, second: "listener", ListenerName.self)
    static let connectionsOpen = Family("connections_open", "Connections open now, by listener", label: "listener", ListenerName.self)
    static let deliveries = Family("deliveries", unit: "total", "Webhook attempts, by where they left the delivery",
                                   label: "result", DeliveryResult.self)
    static let endpointsDisabled = Family("endpoints_disabled", unit: "total", "Endpoints the delivery worker disabled, by reason",
                                          label: "reason", EndpointDisableReason.self)
    static let messagesPending = Family("messages_pending", "Deliveries waiting for an attempt")
    static let oldestPending = Family("oldest_pending_message_age", unit: "seconds", "Age of the oldest message with a pending delivery")
    static let endpoints = Family("endpoints", "Endpoints by state", label: "state", EndpointState.self)
    static let eventStreamsOpen = Family("event_streams_open", "GET /v1/events streams open now")
    static let eventStreamsDropped = Family("event_streams_dropped", unit: "total", "Event streams refused or disconnected, by reason",
                                            label: "reason", EventStreamDrop.self)
    static let archiveDownloads = Family("archive_downloads", unit: "total", "Result image downloads, by where they left the image",
                                         label: "result", ArchiveResult.self)
    static let archiveBytes = Family("archive_bytes", unit: "total", "Bytes of result images archived")
    static let archiveImages = Family("archive_images", "Result images by archive state", label: "state", ImageState.self)
    static let archiveWritable = Family("archive_writable", "1 when the archive directory takes a file and has room for the largest image, else 0")
    static let storeCommits = Family("store_commits", unit: "total", "Transactions the store's group commit made durable")
    static let storeWrites = Family("store_writes", unit: "total", "Writes those transactions held (writes / commits: the batching)")
    static let storeSynchronous = Family("store_synchronous", "PRAGMA synchronous on the store's writer connection (2: FULL)")
    static let keyLaunches = Family(perKey: "key_launches", unit: "total", "Launches made with each local API key, and those its photo budget refused",
                                    second: "result", KeyLaunchResult.self)
    static let keyBudgetUsed = Family(perKey: "key_budget_used", "Photos each local API key has spent in its budget's current window (refunds given back)")

    /// Every metric, in the README's order.
    public static let all = [callbacks, polls, submissions, conflicts, inFlight, generations, remainingPhotos, unknownOutcomes,
                             connectionsDropped, connectionsOpen, deliveries, endpointsDisabled, messagesPending, oldestPending, endpoints,
                             eventStreamsOpen, eventStreamsDropped, archiveDownloads, archiveBytes, archiveImages, archiveWritable,
                             storeCommits, storeWrites, storeSynchronous, keyLaunches, keyBudgetUsed]

    public let registry: PrometheusCollectorRegistry
    private let counters: [String: [String: Counter]]
    private let gauges: [String: [String: Gauge]]
    /// The store's write totals as last recorded: counters move by the difference.
    private let writesRecorded = Mutex(WriteTotals())
    /// The per-key series made so far, by their label values: as many as there are keys.
    private let keyCounters = Mutex<[String: Counter]>([:])
    private let keyGauges = Mutex<[String: Gauge]>([:])

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var counters: [String: [String: Counter]] = [:]
        var gauges: [String: [String: Gauge]] = [:]
        for family in Self.all {
            for pairs in family.combinations {
                let value = Self.key(pairs.map(\.1))
                if family.unit == "total" {
                    counters[family.name, default: [:]][value] = registry.makeCounter(descriptor: family.descriptor, labels: pairs)
                } else {
                    gauges[family.name, default: [:]][value] = registry.makeGauge(descriptor: family.descriptor, labels: pairs)
                }
            }
        }
        self.counters = counters
        self.gauges = gauges
    }

    private static func key(_ values: [String]) -> String { values.joined(separator: "|") }

    private func count<Label: RawRepresentable<String>>(_ family: Family, _ label: Label) {
        counters[family.name]?[label.rawValue]?.increment()
    }

    private func set(_ family: Family, _ value: Double, label: String = "") {
        gauges[family.name]?[label]?.set(value)
    }

    func callback(_ outcome: CallbackOutcome) { count(Self.callbacks, outcome) }

    func poll(_ result: PollResult) { count(Self.polls, result) }

    func submission(_ result: SubmissionResult) { count(Self.submissions, result) }

    /// A terminal state contradicted by another terminal status.
    func conflict(source: ConflictSource) { count(Self.conflicts, source) }

    func pollsInFlight(_ count: Int) { set(Self.inFlight, Double(count)) }

    func connectionDropped(_ reason: ConnectionDrop, on listener: ListenerName) {
        counters[Self.connectionsDropped.name]?[Self.key([reason.rawValue, listener.rawValue])]?.increment()
    }

    func connectionsOpen(_ count: Int, on listener: ListenerName) { set(Self.connectionsOpen, Double(count), label: listener.rawValue) }

    /// One webhook attempt, by where it left its delivery.
    func delivery(_ result: DeliveryResult) { count(Self.deliveries, result) }

    func endpointDisabled(_ reason: EndpointDisableReason) { count(Self.endpointsDisabled, reason) }

    func eventStreamsOpen(_ count: Int) { set(Self.eventStreamsOpen, Double(count)) }

    func eventStreamDropped(_ reason: EventStreamDrop) { count(Self.eventStreamsDropped, reason) }

    /// One download attempt, by where it left its image; an archived one adds its bytes.
    func archiveDownload(_ result: ArchiveResult, bytes: Int64 = 0) {
        count(Self.archiveDownloads, result)
        if bytes > 0 { counters[Self.archiveBytes.name]?[""]?.increment(by: Int64(bytes)) }
    }

    /// The archive gauges, read at scrape time.
    func record(_ counts: ArchiveCounts, writable: Bool) {
        for (state, value) in [(ImageState.pending, counts.pending), (.archived, counts.archived), (.failed, counts.failed), (.pruned, counts.pruned)] {
            set(Self.archiveImages, Double(value), label: state.rawValue)
        }
        set(Self.archiveWritable, writable ? 1 : 0)
    }

    /// The delivery gauges, read from the store at scrape time.
    func record(_ stats: DeliveryStats, now: Date) {
        set(Self.messagesPending, Double(stats.pending))
        set(Self.oldestPending, stats.oldestPendingCreatedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        set(Self.endpoints, Double(stats.enabledEndpoints), label: EndpointState.enabled.rawValue)
        set(Self.endpoints, Double(stats.disabledEndpoints), label: EndpointState.disabled.rawValue)
    }

    /// Gauges read from the store at scrape time.
    func record(_ stats: StoreStats) {
        for state in GenerationState.allCases { set(Self.generations, Double(stats.countsByState[state] ?? 0), label: state.rawValue) }
        if let quota = stats.latestQuota { set(Self.remainingPhotos, Double(quota.remainingPhotos)) }
        set(Self.unknownOutcomes, Double(stats.unknownOutcomes))
    }

    /// The store's commit counters and its durability setting, read at scrape time.
    func record(_ totals: WriteTotals, synchronous: Int) {
        // Two scrapes at once may arrive in either order: the counters only move up to the larger totals seen.
        let before = writesRecorded.withLock { recorded in
            defer {
                recorded = WriteTotals(commits: max(recorded.commits, totals.commits), writes: max(recorded.writes, totals.writes))
            }
            return recorded
        }
        counters[Self.storeCommits.name]?[""]?.increment(by: Int64(max(0, totals.commits - before.commits)))
        counters[Self.storeWrites.name]?[""]?.increment(by: Int64(max(0, totals.writes - before.writes)))
        set(Self.storeSynchronous, Double(synchronous))
    }

    /// A launch recorded with a key, or refused by its budget.
    func keyLaunch(_ result: KeyLaunchResult, key: String) {
        let labels = [("key", key), ("result", result.rawValue)]
        Self.series(keyCounters, labels) { registry.makeCounter(descriptor: Self.keyLaunches.descriptor, labels: labels) }.increment()
    }

    /// What each key has spent in its current window, read from the store at scrape time.
    func record(_ keys: [KeyUsage]) {
        for usage in keys {
            let labels = [("key", usage.key.name)]
            Self.series(keyGauges, labels) { registry.makeGauge(descriptor: Self.keyBudgetUsed.descriptor, labels: labels) }.set(Double(usage.used))
        }
    }

    /// The per-key series with these label values, made the first time they are seen.
    private static func series<Series>(_ made: borrowing Mutex<[String: Series]>, _ labels: [(String, String)], make: () -> Series) -> Series {
        made.withLock { made in
            let values = key(labels.map(\.1))
            if let series = made[values] { return series }
            let series = make()
            made[values] = series
            return series
        }
    }

    /// The text exposition format.
    public func exposition() -> String { registry.emitToString() }
}
