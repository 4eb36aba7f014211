import Synchronization

/// The event streams open on the local API (`GET /v1/events`): at most `capacity` at once, and every one of them
/// ended at once by `stopAll()` when the daemon stops, so that a stream never holds up the graceful stop.
final class EventStreams: Sendable {
    private struct State {
        var open: [UInt64: WakeSignal] = [:]
        var nextID: UInt64 = 0
        var stopping = false
    }

    private let state = Mutex(State())
    /// The cap, the keep-alive and the write timeout (`local.max_event_streams`, `local.event_stream_*`).
    let configuration: EventStreamConfiguration
    /// Keep-alives and write timeouts run on it.
    let clock: DaemonClock

    init(configuration: EventStreamConfiguration, clock: DaemonClock) {
        self.configuration = configuration
        self.clock = clock
    }

    /// Streams allowed at once.
    var capacity: Int { configuration.maxStreams }

    /// Streams open now.
    var openCount: Int { state.withLock { $0.open.count } }

    /// A place for one more stream, or nil when `capacity` are open. Once the daemon is stopping, a new stream's
    /// wake-up (its `bell`) is stopped already: it ends as soon as it starts.
    func open() -> Lease? {
        state.withLock { state in
            guard state.open.count < capacity else { return nil }
            state.nextID += 1
            let bell = WakeSignal(clock: clock, stopped: state.stopping)
            state.open[state.nextID] = bell
            return Lease(id: state.nextID, bell: bell, streams: self)
        }
    }

    /// The daemon is stopping: every stream ends now, and every later one at once.
    func stopAll() {
        let bells = state.withLock { state in
            state.stopping = true
            return Array(state.open.values)
        }
        for bell in bells { bell.stop() }
    }

    fileprivate func close(_ id: UInt64) {
        _ = state.withLock { $0.open.removeValue(forKey: id) }
    }

    /// One stream's place; given back by `release()`, or when the lease is dropped (a response that never ran).
    final class Lease: Sendable {
        let bell: WakeSignal
        private let id: UInt64
        private let streams: EventStreams
        private let released = Mutex(false)

        fileprivate init(id: UInt64, bell: WakeSignal, streams: EventStreams) {
            self.id = id
            self.bell = bell
            self.streams = streams
        }

        func release() {
            let first = released.withLock { released in
                defer { released = true }
                return !released
            }
            if first { streams.close(id) }
        }

        deinit { release() }
    }
}
