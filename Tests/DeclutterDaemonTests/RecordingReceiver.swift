import Foundation
import Hummingbird
import Synchronization
import TestSupport

/// A local app's webhook endpoint for tests: records every delivery, and either answers 204 at once or holds
/// every request unanswered until told to answer.
struct RecordingReceiver: Sendable {
    struct Delivery: Sendable {
        let webhookID: String
        let headers: [String: String]
        let body: Data
    }

    private let server: LoopbackServer
    private let recorder: Recorder

    /// Where to register it.
    var url: String { server.baseURL + "/hooks" }

    var received: [Delivery] { recorder.received }

    /// The distinct `webhook-id`s received.
    var webhookIDs: Set<String> { Set(received.map(\.webhookID)) }

    static func start(holding: Bool = false) async -> RecordingReceiver {
        let recorder = Recorder(holding: holding)
        let router = Router()
        router.post("/hooks") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            await recorder.record(Delivery(webhookID: headers["webhook-id"] ?? "", headers: headers, body: Data(buffer: body)))
            return .noContent
        }
        return RecordingReceiver(server: await LoopbackServer.start(router), recorder: recorder)
    }

    /// From now on every request is answered at once; those held are answered too.
    func answerNow() { recorder.answerNow() }

    func stop() async {
        answerNow()
        await server.stop()
    }
}

private final class Recorder: Sendable {
    private struct State {
        var holding: Bool
        var received: [RecordingReceiver.Delivery] = []
        var held: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(holding: Bool) { state = Mutex(State(holding: holding)) }

    var received: [RecordingReceiver.Delivery] { state.withLock { $0.received } }

    func record(_ delivery: RecordingReceiver.Delivery) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let hold = state.withLock { state in
                state.received.append(delivery)
                if state.holding { state.held.append(continuation) }
                return state.holding
            }
            if !hold { continuation.resume() }
        }
    }

    func answerNow() {
        let held = state.withLock { state in
            state.holding = false
            defer { state.held = [] }
            return state.held
        }
        for continuation in held { continuation.resume() }
    }
}
