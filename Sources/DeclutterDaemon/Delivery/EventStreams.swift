import Synchronization

/// The event streams open on the local API (`GET /v1/events`): at most `capacity` at once, and every one of them
/// ended at once by `stopAll()` when the daemon stops, so that a stream never holds up the graceful stop.
final class EventStreams: Sendable {
    private struct State {
        var open: [UInt64: StreamBell] = [:]
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
    /// bell has rung already: it ends as soon as it starts.
    func open() -> Lease? {
        state.withLock { state in
            guard state.open.count < capacity else { return nil }
            state.nextID += 1
            let bell = StreamBell(stopped: state.stopping)
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
        let bell: StreamBell
        private let id: UInt64
        private let streams: EventStreams
        private let released = Mutex(false)

        fileprivate init(id: UInt64, bell: StreamBell, streams: EventStreams) {
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

/// What wakes one waiting stream: a commit (new messages may be there to read) or the end (the daemon stops, the
/// client went away). A ring while nobody waits is kept for the next wait; the end is kept for good.
final class StreamBell: Sendable {
    private struct State {
        var rung = false
        var stopped: Bool
        var waiter: CheckedContinuation<Void, Never>?
        /// Waits for the end only (a write in progress).
        var stopWaiter: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>

    init(stopped: Bool = false) {
        state = Mutex(State(stopped: stopped))
    }

    /// True once the stream must end.
    var isStopped: Bool { state.withLock { $0.stopped } }

    /// Something new may be there to read.
    func ring() {
        let waiter = state.withLock { state in
            state.rung = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// The stream must end.
    func stop() {
        let waiters = state.withLock { state in
            state.rung = true
            state.stopped = true
            defer { (state.waiter, state.stopWaiter) = (nil, nil) }
            return [state.waiter, state.stopWaiter]
        }
        for waiter in waiters { waiter?.resume() }
    }

    /// Forgets the rings heard so far: call it before reading, so a commit after the read is not missed.
    func rearm() {
        state.withLock { state in
            if !state.stopped { state.rung = false }
        }
    }

    /// Returns true once the bell rang (since `rearm`), false when `deadline` came first on `clock`.
    func wait(until deadline: DaemonClock.Instant, on clock: DaemonClock) async -> Bool {
        await race(deadline, on: clock) { await $0.ringOrCancel(stopOnly: false) }
    }

    /// Returns true once the stream must end, false when `deadline` came first on `clock` (or on cancellation).
    func waitForStop(until deadline: DaemonClock.Instant, on clock: DaemonClock) async -> Bool {
        await race(deadline, on: clock) { await $0.ringOrCancel(stopOnly: true) }
    }

    private func race(_ deadline: DaemonClock.Instant, on clock: DaemonClock,
                      _ bell: @escaping @Sendable (StreamBell) async -> Bool) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await bell(self) }
            group.addTask {
                try? await clock.sleep(until: deadline)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func ringOrCancel(stopOnly: Bool) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    guard !(stopOnly ? state.stopped : state.rung), !Task.isCancelled else { return true }
                    if stopOnly { state.stopWaiter = continuation } else { state.waiter = continuation }
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            return state.withLock { stopOnly ? $0.stopped : $0.rung }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { if stopOnly { state.stopWaiter = nil } else { state.waiter = nil } }
                return stopOnly ? state.stopWaiter : state.waiter
            }
            waiter?.resume()
        }
    }
}
