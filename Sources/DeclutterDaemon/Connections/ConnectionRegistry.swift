import NIOCore
import Synchronization

/// The connections open on one listener, and who gives way when it is full. A new connection is admitted
/// while there is room. When there is none, one connection is closed to make room: the one that has waited
/// longest for a request head (idle, or sending its head slowly), else the one that has been reading its
/// body longest; a connection whose request is being answered is never closed for this. When every
/// connection is being answered, the new one is closed at once. So connections held idle, half-sent or
/// trickling a body cannot keep a real caller out, and the listener never holds more than `capacity`.
final class ConnectionRegistry: Sendable {
    enum Admission {
        case admitted
        case admittedEvicting(any Channel)
        case refused
    }

    /// Where a connection is, for choosing whom to close.
    enum Phase: Sendable {
        /// No request in it yet, or kept alive after its answers.
        case waiting
        case readingBody
        case answering

        /// Lower is closed first.
        var evictionRank: Int? {
            switch self {
            case .waiting: 0
            case .readingBody: 1
            case .answering: nil
            }
        }
    }

    private struct Entry {
        let channel: any Channel
        var phase: Phase
        var since: ContinuousClock.Instant
    }

    let listener: ListenerName
    let capacity: Int
    private let metrics: DaemonMetrics
    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    init(listener: ListenerName, capacity: Int, metrics: DaemonMetrics) {
        self.listener = listener
        self.capacity = capacity
        self.metrics = metrics
    }

    var openCount: Int { entries.withLock { $0.count } }

    func admit(_ channel: any Channel) -> Admission {
        let id = ObjectIdentifier(channel)
        defer { metrics.connectionsOpen(openCount, on: listener) }
        return entries.withLock { entries in
            let entry = Entry(channel: channel, phase: .waiting, since: .now)
            guard entries.count >= capacity else {
                entries[id] = entry
                return .admitted
            }
            let candidates = entries.compactMap { key, value in value.phase.evictionRank.map { (key, value, $0) } }
            guard let victim = candidates.min(by: { ($0.2, $0.1.since) < ($1.2, $1.1.since) }) else { return .refused }
            entries[victim.0] = nil
            entries[id] = entry
            return .admittedEvicting(victim.1.channel)
        }
    }

    func setPhase(_ channel: any Channel, _ phase: Phase) {
        entries.withLock { entries in
            let id = ObjectIdentifier(channel)
            guard entries[id] != nil else { return }
            entries[id]?.phase = phase
            entries[id]?.since = .now
        }
    }

    func remove(_ channel: any Channel) {
        let removed = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
        if removed != nil { metrics.connectionsOpen(openCount, on: listener) }
    }
}
