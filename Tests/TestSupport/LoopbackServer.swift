import Hummingbird
import Logging

/// A Hummingbird server for a test, on a free port of 127.0.0.1: a stand-in upstream or callback receiver.
public struct LoopbackServer: Sendable {
    public let baseURL: String
    private let task: Task<Void, Never>

    /// Serves `router` and returns once it is bound.
    public static func start(_ router: Router<BasicRequestContext>) async -> LoopbackServer {
        var logger = Logger(label: "declutterd.test-server")
        logger.logLevel = .critical
        let (bound, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { do { try await app.runService(gracefulShutdownSignals: []) } catch {} }
        var port = 0
        for await value in bound { port = value; break }
        return LoopbackServer(baseURL: "http://127.0.0.1:\(port)", task: task)
    }

    public func stop() async {
        task.cancel()
        await task.value
    }
}
