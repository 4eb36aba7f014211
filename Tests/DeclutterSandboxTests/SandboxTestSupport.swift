import DeclutterAPI
import DeclutterSandbox
import Foundation
import Hummingbird
import NIOCore
import Synchronization
import TestSupport
import Testing

/// A callback receiver on a free loopback port: records every body in arrival order.
final class CallbackListener: Sendable {
    struct Received: Sendable {
        let path: String
        let body: Data
        var payload: RetrievalPayload? { try? RetrievalPayloadValidator.validate(body).get() }
    }

    final class Inbox: Sendable {
        let items = Mutex<[Received]>([])
    }

    private let server: LoopbackServer
    private let received: Inbox

    private init(server: LoopbackServer, received: Inbox) {
        self.server = server
        self.received = received
    }

    var baseURL: String { server.baseURL }

    var all: [Received] { received.items.withLock { $0 } }

    static func start() async throws -> CallbackListener {
        let received = Inbox()
        let router = Router()
        router.post("/callbacks/{token}") { [received] request, context in
            let body = Data(buffer: try await request.body.collect(upTo: 1 << 20))
            received.items.withLock { $0.append(Received(path: context.parameters.get("token") ?? "", body: body)) }
            return Response(status: .noContent)
        }
        return CallbackListener(server: await LoopbackServer.start(router), received: received)
    }

    func webhook(_ name: String) -> String { "\(baseURL)/callbacks/\(name)" }

    func stop() async { await server.stop() }
}

/// Runs `body` with a sandbox on a free port, stopped afterwards.
func withSandbox<T>(_ configuration: SandboxConfiguration, _ body: (RunningSandbox) async throws -> T) async throws -> T {
    try await using(try await Sandbox(configuration: configuration).start(), stop: { await $0.stop() }, body)
}

/// Records the delays a client asked to sleep, and sleeps only a millisecond.
final class RecordedSleeps: Sendable {
    private let delays = Mutex<[Duration]>([])
    var all: [Duration] { delays.withLock { $0 } }

    var sleep: @Sendable (Duration) async throws -> Void {
        { [self] duration in
            delays.withLock { $0.append(duration) }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}

func client(for sandbox: RunningSandbox, apiKey: String? = nil, retrieval: RetryPolicy = RetryPolicy(maxAttempts: 20, initialDelay: .milliseconds(1), maxDelay: .milliseconds(5)),
            sleeps: RecordedSleeps = RecordedSleeps(), timeout: Duration = .seconds(5)) -> DeclutterClient {
    let configuration = sandbox.sandbox.configuration
    return DeclutterClient(
        configuration: DeclutterClientConfiguration(
            baseURL: sandbox.baseURL, userID: configuration.userID, apiKey: apiKey ?? configuration.apiKey,
            requestTimeout: timeout, retrievalRetry: retrieval,
            submissionRetry: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(1), maxDelay: .milliseconds(5))),
        sleep: sleeps.sleep)
}

let roomImage = "https://images.example/room-1.jpg"
