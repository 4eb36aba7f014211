import Synchronization

/// Holds what the sandbox would otherwise time with a sleep until `release()`: generations just before they end
/// (`completionGate`), calls that hang (`SandboxFaults.hangGate`). A test that needs "both launched before either
/// ends" or "answered only after the caller gave up" says so with a gate, instead of hoping a duration is longer than
/// its own steps on a busy machine. Once released it stays open; a stopping sandbox releases its gates.
public final class SandboxGate: Sendable {
    private struct State {
        var open = false
        var held: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Generations waiting at the gate now.
    public var waiting: Int { state.withLock { $0.held.count } }

    /// Lets every held generation end, and every one to come.
    public func release() {
        let held = state.withLock { state in
            state.open = true
            defer { state.held = [] }
            return state.held
        }
        for continuation in held { continuation.resume() }
    }

    /// Returns once the gate is open.
    func pass() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.open { state.held.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }
}

/// Two configurations hold the same gate only when it is the same object.
extension SandboxGate: Equatable {
    public static func == (lhs: SandboxGate, rhs: SandboxGate) -> Bool { lhs === rhs }
}
