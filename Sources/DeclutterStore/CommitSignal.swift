import Synchronization

/// Tells whoever listens that a commit changed the outbox (messages, deliveries, endpoints), so the delivery
/// worker and the event streams read when there is something new, instead of scanning on a timer. A listener that is busy when several
/// commits happen hears of them once: it reads everything newer than what it has.
public final class CommitSignal: Sendable {
    private struct Listeners {
        var next = 0
        var continuations: [Int: AsyncStream<Void>.Continuation] = [:]
    }

    private let listeners = Mutex(Listeners())

    public init() {}

    /// A stream that yields after each commit from now on (at most one waiting), until the stream is dropped.
    public func subscribe() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let key = listeners.withLock { listeners in
            defer { listeners.next += 1 }
            listeners.continuations[listeners.next] = continuation
            return listeners.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.listeners.withLock { $0.continuations.removeValue(forKey: key) }
        }
        return stream
    }

    /// Listening now.
    public var listenerCount: Int { listeners.withLock { $0.continuations.count } }

    /// A commit is durable (or something else a listener should look at changed).
    public func poke() {
        let continuations = listeners.withLock { Array($0.continuations.values) }
        for continuation in continuations { continuation.yield() }
    }
}
