import NIOCore
import Synchronization

/// The connections open on one listener, and who gives way when it is full: a new connection is admitted
/// while there is room; when there is none, the connection that has waited longest for a request head
/// (idle, or sending its headers slowly) is closed to make room; when every connection is busy with a
/// request, the new one is closed at once. So an attacker holding idle or half-sent connections cannot keep
/// a real caller out, and the listener never holds more than `capacity` descriptors.
final class ConnectionRegistry: Sendable {
    enum Admission {
        case admitted
        case admittedEvicting(any Channel)
        case refused
    }

    private struct Entry {
        let channel: any Channel
        var waitingSince: ContinuousClock.Instant?
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
            let entry = Entry(channel: channel, waitingSince: .now)
            guard entries.count >= capacity else {
                entries[id] = entry
                return .admitted
            }
            let waiting = entries.filter { $0.value.waitingSince != nil }
            guard let oldest = waiting.min(by: { $0.value.waitingSince! < $1.value.waitingSince! }) else { return .refused }
            entries[oldest.key] = nil
            entries[id] = entry
            return .admittedEvicting(oldest.value.channel)
        }
    }

    /// The connection is busy with a request (its head arrived) or waiting for the next one.
    func setWaiting(_ channel: any Channel, _ waiting: Bool) {
        entries.withLock { entries in
            entries[ObjectIdentifier(channel)]?.waitingSince = waiting ? .now : nil
        }
    }

    func remove(_ channel: any Channel) {
        let removed = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
        if removed != nil { metrics.connectionsOpen(openCount, on: listener) }
    }
}
