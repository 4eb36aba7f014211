import DeclutterDaemon
import DeclutterStore
import Foundation
import Hummingbird
import Logging
import Synchronization

/// The demo's local app: a webhook endpoint on a free loopback port that checks each delivery's signature with
/// the endpoint's secret and prints a line for it.
struct DemoReceiver: Sendable {
    private let recorder: Recorder
    private let task: Task<Void, Never>
    let url: String

    /// What arrived: one entry per request.
    struct Arrival: Sendable {
        let webhookID: String
        let type: String
        let signatureValid: Bool
        /// From the message's timestamp (its commit) to its arrival here.
        let delay: Double
    }

    static func start() async -> DemoReceiver {
        let recorder = Recorder()
        let router = Router()
        router.post("/hooks") { request, _ -> HTTPResponse.Status in
            let body = Data(buffer: try await request.body.collect(upTo: 1 << 20))
            let header = { (name: String) in request.headers.first { $0.name.canonicalName == name }?.value ?? "" }
            recorder.receive(body: body, id: header("webhook-id"), timestamp: header("webhook-timestamp"), signature: header("webhook-signature"))
            return .noContent
        }
        var logger = Logger(label: "declutterd.demo-receiver")
        logger.logLevel = .critical
        let (bound, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { do { try await app.runService(gracefulShutdownSignals: []) } catch {} }
        var port = 0
        for await value in bound { port = value; break }
        return DemoReceiver(recorder: recorder, task: task, url: "http://127.0.0.1:\(port)/hooks")
    }

    /// The secret the endpoint signs with (known once it is registered).
    func trust(_ secret: String) { recorder.secret.withLock { $0 = secret } }

    var arrivals: [Arrival] { recorder.arrivals.withLock { $0 } }

    func stop() async {
        task.cancel()
        await task.value
    }
}

private final class Recorder: Sendable {
    let secret = Mutex<String?>(nil)
    let arrivals = Mutex<[DemoReceiver.Arrival]>([])

    func receive(body: Data, id: String, timestamp: String, signature: String) {
        let message = try? JSONDecoder().decode(Message.self, from: body)
        let expected = secret.withLock { $0 }.map { WebhookSignature.sign(id: id, timestamp: Int(timestamp) ?? 0, body: body, secrets: [$0]) }
        let valid = expected.map { signature.split(separator: " ").contains(Substring($0)) } ?? false
        let sent = message.flatMap { StoreFormat.date(fromTimestamp: $0.timestamp) }
        let arrival = DemoReceiver.Arrival(webhookID: id, type: message?.type ?? "?", signatureValid: valid,
                                           delay: sent.map { Date().timeIntervalSince($0) } ?? 0)
        arrivals.withLock { $0.append(arrival) }
        let generation = message?.data.id.map { "#\($0)" } ?? ""
        let version = message?.data.version.map { "v\($0)" } ?? ""
        Terminal.line("webhook    \(Column.left(generation, 4)) \(Column.left(arrival.type, 21)) \(Column.left(version, 3)) "
                      + "\(Column.left(id, 8)) signature \(valid ? "ok" : "INVALID")")
    }

    private struct Message: Decodable {
        struct Data: Decodable {
            let id: Int64?
            let version: Int?
        }
        let type: String
        let timestamp: String
        let data: Data
    }
}
