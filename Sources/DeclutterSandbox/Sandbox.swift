import AsyncHTTPClient
import DeclutterAPI
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import Synchronization

/// The stand-in Decluttering API (README, "The sandbox"), served over real HTTP.
public final class Sandbox: Sendable {
    public let configuration: SandboxConfiguration
    let state: SandboxState
    private let boundURL = Mutex<String?>(nil)
    private let logger: Logger

    public init(configuration: SandboxConfiguration, logger: Logger = Sandbox.quietLogger) {
        self.configuration = configuration
        self.state = SandboxState(configuration: configuration)
        self.logger = logger
    }

    /// Warnings and errors only: a sandbox is a tool, not the thing being watched.
    public static var quietLogger: Logger {
        var logger = Logger(label: "declutterd.sandbox")
        logger.logLevel = .warning
        return logger
    }

    /// `http://host:port` once the listener is bound.
    public var baseURL: String? { boundURL.withLock { $0 } }

    /// What the sandbox has counted so far.
    public func counters() async -> SandboxCounters { await state.counters }

    /// Every callback decision the seed made, in the order they were made.
    public func callbackFates() async -> [CallbackFate] { await state.fates }

    public func remainingPhotos() async -> Int { await state.remainingPhotos }

    /// The webhook each generation was given (generations launched without one are absent): for tests
    /// that need to call a capability URL the way the service would.
    public func webhooks() async -> [UUID: String] { await state.webhooks }

    /// Serves until one of `signals` arrives (or the returned group is shut down); `onListening` gets the base URL once bound.
    public func run(gracefulShutdownSignals signals: [UnixSignal] = [.sigterm, .sigint],
                    onListening: @escaping @Sendable (String) async -> Void = { _ in }) async throws {
        try await makeServiceGroup(signals: signals, onListening: onListening).run()
        await state.stop()
    }

    private func makeServiceGroup(signals: [UnixSignal], onListening: @escaping @Sendable (String) async -> Void) -> ServiceGroup {
        let lifecycle = GenerationLifecycle(state: state, httpClient: DeclutterClient.sharedHTTPClient) { [self] in baseURL ?? "" }
        let router = Router()
        SandboxRoutes(state: state, lifecycle: lifecycle, inputs: InputFetcher(httpClient: DeclutterClient.sharedHTTPClient, state: state))
            .register(on: router)
        ImageRoutes(state: state).register(on: router)
        let host = configuration.host
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: "declutterd-sandbox"),
            onServerRunning: { [self] channel in
                let url = "http://\(host):\(channel.localAddress?.port ?? 0)"
                boundURL.withLock { $0 = url }
                await onListening(url)
            },
            logger: logger)
        return ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: signals, logger: logger))
    }

    /// Starts serving in the background and returns once bound: for tests and the demo.
    public func start() async throws -> RunningSandbox {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let group = makeServiceGroup(signals: []) { continuation.yield($0) }
        let task = Task { [logger, state] in
            do {
                try await group.run()
            } catch {
                logger.error("sandbox stopped", metadata: ["error": "\(error)"])
            }
            await state.stop()
            continuation.finish()
        }
        for await url in stream {
            return RunningSandbox(sandbox: self, baseURL: url, group: group, task: task)
        }
        throw SandboxStartError()
    }
}

/// A sandbox serving in the background.
public struct RunningSandbox: Sendable {
    public let sandbox: Sandbox
    public let baseURL: String
    let group: ServiceGroup
    let task: Task<Void, Never>

    /// Stops listening, lets in-flight requests finish, and stops every generation's timers.
    public func stop() async {
        await group.triggerGracefulShutdown()
        await task.value
    }
}

struct SandboxStartError: Error, CustomStringConvertible {
    var description: String { "the sandbox could not bind its listener" }
}
