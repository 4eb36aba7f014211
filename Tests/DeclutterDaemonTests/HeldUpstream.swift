import Foundation
import Hummingbird
import Synchronization
import TestSupport

/// A stand-in for the retrieval endpoint whose answers wait until the test releases them: it counts the polls
/// started and in flight. `status` picks the answer: 200 PROCESSING, or an error status such as 401.
final class HeldUpstream: Sendable {
    fileprivate struct State {
        var started = 0
        var inFlight = 0
        var held: [CheckedContinuation<Void, Never>] = []
        var holding = true
    }

    private let server: LoopbackServer
    private let gate: Gate

    var baseURL: String { server.baseURL }

    var started: Int { gate.state.withLock { $0.started } }
    var inFlight: Int { gate.state.withLock { $0.inFlight } }

    private init(server: LoopbackServer, gate: Gate) {
        self.server = server
        self.gate = gate
    }

    /// Answers every retrieval with `status` (200: PROCESSING); holds each answer until `release()` when `holding`.
    static func start(status: Int = 200, holding: Bool = true) async throws -> HeldUpstream {
        let gate = Gate(holding: holding)
        let router = Router()
        router.post("/api/declutter_total/get") { _, _ in
            await gate.hold()
            let body = status == 200 ? #"{"status": "PROCESSING"}"# : #"{"error": "refused"}"#
            return Response(status: .init(code: status), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        return HeldUpstream(server: await LoopbackServer.start(router), gate: gate)
    }

    /// Lets every held answer go, and those to come.
    func release() { gate.release() }

    func stop() async {
        release()
        await server.stop()
    }
}

private final class Gate: Sendable {
    let state: Mutex<HeldUpstream.State>

    init(holding: Bool) {
        var initial = HeldUpstream.State()
        initial.holding = holding
        state = Mutex(initial)
    }

    func hold() async {
        await withCheckedContinuation { continuation in
            let wait = state.withLock { state -> Bool in
                state.started += 1
                state.inFlight += 1
                if state.holding { state.held.append(continuation) }
                return state.holding
            }
            if !wait { continuation.resume() }
        }
        state.withLock { $0.inFlight -= 1 }
    }

    func release() {
        let held = state.withLock { state in
            state.holding = false
            defer { state.held = [] }
            return state.held
        }
        for continuation in held { continuation.resume() }
    }
}
