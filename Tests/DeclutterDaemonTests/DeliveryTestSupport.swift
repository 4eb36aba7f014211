@testable import DeclutterDaemon
import DeclutterStore
import Foundation
import Hummingbird
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

/// A local app receiving webhooks on 127.0.0.1, at `/hooks/<name>`: it keeps what it received, answers the
/// scripted statuses in turn (then `otherwise`), and when `holding`, keeps every answer until `release()`.
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        let name: String
        /// Lowercased names.
        let headers: [String: String]
        let body: String
    }

    private let server: LoopbackServer
    private let script: Script

    private init(server: LoopbackServer, script: Script) {
        self.server = server
        self.script = script
    }

    static func start(answers: [Int] = [], otherwise: Int = 200, answerBody: String = "ok", holding: Bool = false) async -> WebhookReceiver {
        let script = Script(Script.State(answers: answers, otherwise: otherwise, answerBody: answerBody, holding: holding))
        let router = Router()
        router.post("/hooks/{name}") { request, context in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
            let (status, text) = await script.answer(Received(name: context.parameters.get("name") ?? "", headers: headers, body: body))
            return Response(status: .init(code: status), headers: [.contentType: "text/plain"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        return WebhookReceiver(server: await LoopbackServer.start(router), script: script)
    }

    func url(_ name: String = "app") -> String { "\(server.baseURL)/hooks/\(name)" }

    var received: [Received] { script.state.withLock { $0.received } }

    func received(_ name: String) -> Int { script.state.withLock { $0.received.count { $0.name == name } } }

    func mostInFlight(_ name: String) -> Int { script.state.withLock { $0.mostInFlight[name] ?? 0 } }

    /// Lets every held answer go, and those to come.
    func release() { script.release() }

    func stop() async {
        release()
        await server.stop()
    }

    private final class Script: Sendable {
        struct State {
            var answers: [Int]
            var otherwise: Int
            var answerBody: String
            var holding: Bool
            var held: [CheckedContinuation<Void, Never>] = []
            var received: [Received] = []
            var inFlight: [String: Int] = [:]
            var mostInFlight: [String: Int] = [:]
        }

        let state: Mutex<State>

        init(_ state: State) {
            self.state = Mutex(state)
        }

        func answer(_ request: Received) async -> (Int, String) {
            await withCheckedContinuation { continuation in
                let holding = state.withLock { state in
                    state.received.append(request)
                    state.inFlight[request.name, default: 0] += 1
                    state.mostInFlight[request.name] = max(state.mostInFlight[request.name] ?? 0, state.inFlight[request.name] ?? 0)
                    if state.holding { state.held.append(continuation) }
                    return state.holding
                }
                if !holding { continuation.resume() }
            }
            return state.withLock { state in
                state.inFlight[request.name, default: 1] -= 1
                let status = state.answers.isEmpty ? state.otherwise : state.answers.removeFirst()
                return (status, state.answerBody)
            }
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
}

/// A delivery worker on a fresh database file, on a manual clock starting at `DeliveryRig.start`.
struct DeliveryRig: Sendable {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let secret = "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()

    let database: AppDatabase
    let worker: DeliveryWorker
    let metrics: DaemonMetrics
    let clock: ManualClock

    /// Timings for tests: no jitter, short steps.
    static func configuration(_ adjust: (inout DeliveryConfiguration) -> Void = { _ in }) -> DeliveryConfiguration {
        var configuration = DeliveryConfiguration()
        configuration.retrySchedule = [.zero, .seconds(5), .seconds(60), .seconds(300)]
        configuration.jitter = 0
        adjust(&configuration)
        return configuration
    }

    /// Runs a worker on `database` until `body` returns, then stops it gracefully (without moving the clock).
    static func run(on database: AppDatabase, _ configuration: DeliveryConfiguration, clock: ManualClock,
                    _ body: (DeliveryRig) async throws -> Void) async throws {
        let metrics = DaemonMetrics()
        let worker = DeliveryWorker(database: database, configuration: configuration, metrics: metrics, logger: Harness.quietLogger(),
                                    clock: .following(clock, from: start + clock.now.offset.seconds))
        let group = ServiceGroup(configuration: .init(services: [worker], gracefulShutdownSignals: [], logger: Harness.quietLogger()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body(DeliveryRig(database: database, worker: worker, metrics: metrics, clock: clock))
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// A worker on a fresh database file; once it has stopped, `receiver` stops too.
    static func with(_ configuration: DeliveryConfiguration, stopping receiver: WebhookReceiver,
                     _ body: (DeliveryRig) async throws -> Void) async throws {
        do {
            try await withTemporaryDatabase { database, _ in
                try await run(on: database, configuration, clock: ManualClock(), body)
            }
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    var now: Date { Self.start + clock.now.offset.seconds }

    @discardableResult
    func endpoint(_ url: String, secret: String = DeliveryRig.secret) async throws -> Int64 {
        try #require(try await database.createEndpoint(EndpointRecord(url: url, description: nil, types: nil, secret: secret, createdAt: now))?.id)
    }

    /// A new generation, so a `generation.created` message for every enabled endpoint.
    func message() async throws {
        _ = try await database.track(generationID: UUID(), at: now, firstPollAt: now + 86_400)
    }

    func delivery(_ id: Int64) async throws -> DeliveryListing {
        try #require(try await database.delivery(id))
    }

    /// Waits until delivery `id` has `count` attempt rows.
    func attempts(_ id: Int64, count: Int) async throws -> [DeliveryAttemptRecord] {
        try await eventually("\(count) attempts of delivery \(id)") { try await delivery(id).attempts.count >= count }
        return try await delivery(id).attempts
    }

    /// Waits until the worker sleeps until `wait` from now (give or take a millisecond), then moves the clock there.
    func advance(toRetryAfter wait: Duration) async throws {
        var deadline: Duration?
        try await eventually("the worker asleep until \(wait) from now") {
            deadline = clock.deadlines.first { abs(($0 - clock.now.offset - wait).seconds) <= 0.002 }
            return deadline != nil
        }
        clock.advance(by: (deadline ?? wait) - clock.now.offset)
    }

    /// The value of a metric line such as `declutterd_deliveries_total{result="delivered"}`.
    func metric(_ line: String) -> Double? {
        metrics.exposition().split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }
}
