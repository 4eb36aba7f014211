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

    let baseURL: String
    private let received: Inbox
    private let task: Task<Void, Never>

    private init(baseURL: String, received: Inbox, task: Task<Void, Never>) {
        self.baseURL = baseURL
        self.received = received
        self.task = task
    }

    var all: [Received] { received.items.withLock { $0 } }

    static func start() async throws -> CallbackListener {
        let received = Inbox()
        let router = Router()
        router.post("/callbacks/{token}") { [received] request, context in
            let body = Data(buffer: try await request.body.collect(upTo: 1 << 20))
            received.items.withLock { $0.append(Received(path: context.parameters.get("token") ?? "", body: body)) }
            return Response(status: .noContent)
        }
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: Sandbox.quietLogger)
        let task = Task { do { try await app.runService(gracefulShutdownSignals: []) } catch {} }
        var port = 0
        for await bound in stream { port = bound; break }
        return CallbackListener(baseURL: "http://127.0.0.1:\(port)", received: received, task: task)
    }

    func webhook(_ name: String) -> String { "\(baseURL)/callbacks/\(name)" }

    func stop() async {
        task.cancel()
        await task.value
    }
}

/// Runs `body` with a sandbox on a free port, stopped afterwards.
func withSandbox<T>(_ configuration: SandboxConfiguration, _ body: (RunningSandbox) async throws -> T) async throws -> T {
    let running = try await Sandbox(configuration: configuration).start()
    do {
        let result = try await body(running)
        await running.stop()
        return result
    } catch {
        await running.stop()
        throw error
    }
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
