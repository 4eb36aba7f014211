import AsyncHTTPClient
import DeclutterAPI
import DeclutterDaemon
import DeclutterSandbox
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

/// The demo's script: sandbox and daemon in one process, submissions through the real local API.
struct DemoScenario {
    let seed: UInt64
    let generations: Int
    let databasePath: String

    var sandboxConfiguration: SandboxConfiguration {
        var configuration = SandboxConfiguration(apiKey: "demo-key-" + UUID().uuidString.prefix(8).lowercased(), userID: UUID())
        configuration.seed = seed
        configuration.initialQuota = 40
        configuration.startDelay = .milliseconds(300)
        configuration.completionTime = 1.0...3.5
        configuration.faults.callbackDrop = 0.34
        configuration.faults.callbackDuplicate = 0.2
        configuration.faults.callbackReorder = 0.25
        configuration.faults.callbackDelayed = 0.15
        configuration.faults.callbackDelay = .milliseconds(400)
        configuration.faults.callbackMalformed = 0.05
        configuration.faults.failure = 0.1
        return configuration
    }

    func daemonConfiguration(sandbox: RunningSandbox) -> DaemonConfiguration {
        let account = sandbox.sandbox.configuration
        var configuration = DaemonConfiguration(upstream: DeclutterClientConfiguration(baseURL: sandbox.baseURL, userID: account.userID, apiKey: account.apiKey))
        configuration.callbacksListen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.localListen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.publicBaseURLFromListener = true
        configuration.databasePath = databasePath
        configuration.polling.callbackGrace = .seconds(4)
        configuration.polling.initialInterval = .seconds(1)
        configuration.polling.maxInterval = .seconds(3)
        configuration.polling.giveUpAfter = .seconds(45)
        configuration.polling.maxPerSecond = 10
        return configuration
    }

    func run() async throws {
        let started = ContinuousClock.now
        let sandbox = try await Sandbox(configuration: sandboxConfiguration).start()
        var logger = Logger(label: "declutterd.demo")
        logger.logLevel = .warning
        let daemon = try await Daemon(configuration: daemonConfiguration(sandbox: sandbox), logger: logger).start()
        let api = DemoAPI(baseURL: daemon.localURL)
        Terminal.line("sandbox  \(sandbox.baseURL)   (seed \(seed): drops ~1/3 of callbacks, duplicates, delays and reorders others, fails ~1 in 10)")
        Terminal.line("daemon   callbacks \(daemon.callbackBaseURL)   local API \(daemon.localURL)")
        Terminal.line("database \(databasePath)\n")

        var submitted: [Int64] = []
        for index in 1...generations {
            let record = try await api.post("/v1/generations", ["image_url": "https://listings.example/flat-\(index)/living-room.jpg", "auto": true],
                                            idempotencyKey: "demo-\(seed)-\(index)")
            submitted.append(record.id)
            Terminal.line("submitted  \(Column.left("#\(record.id)", 4)) generation  \(record.shortID)  remaining photos \(record.remainingPhotos ?? -1)")
        }
        let variationsWanted = max(1, generations / 3)
        let resolved = await withTaskGroup(of: [DemoRecord].self) { group in
            for (index, id) in submitted.enumerated() {
                group.addTask {
                    var chain: [DemoRecord] = []
                    guard let done = await api.waitTerminal(id, since: started) else { return chain }
                    chain.append(done)
                    if index < variationsWanted, done.status == "SUCCEEDED",
                       let variation = try? await api.post("/v1/generations/\(id)/variations", [:], idempotencyKey: "demo-\(seed)-v\(index)") {
                        Terminal.line("submitted  \(Column.left("#\(variation.id)", 4)) variation   \(variation.shortID)  of #\(id)")
                        if let finished = await api.waitTerminal(variation.id, since: started) { chain.append(finished) }
                    }
                    return chain
                }
            }
            var all: [DemoRecord] = []
            for await chain in group { all += chain }
            return all.sorted { $0.id < $1.id }
        }
        let counters = await sandbox.sandbox.counters()
        let stats = try await api.getJSON("/v1/stats")
        await daemon.stop()
        await sandbox.stop()
        DemoSummary(records: resolved, counters: counters, stats: stats, elapsed: ContinuousClock.now - started, databasePath: databasePath).print()
    }
}

/// A generation as the demo shows it.
struct DemoRecord: Decodable, Sendable {
    let id: Int64
    let generationID: String?
    let kind: String
    let status: String
    let resolvedBy: String?
    let remainingPhotos: Int?
    let createdAt: String
    let completedAt: String?
    let images: [String]

    var shortID: String { String((generationID ?? "-").prefix(8)) }

    enum CodingKeys: String, CodingKey {
        case id, generationID = "generation_id", kind, status, resolvedBy = "resolved_by", remainingPhotos = "remaining_photos"
        case createdAt = "created_at", completedAt = "completed_at", images
    }

    var seconds: Double? {
        guard let completedAt, let end = ISO8601.parse(completedAt), let start = ISO8601.parse(createdAt) else { return nil }
        return end.timeIntervalSince(start)
    }
}

enum ISO8601 {
    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

/// The local API, as the demo calls it: real HTTP on loopback.
struct DemoAPI: Sendable {
    let baseURL: String

    func post(_ path: String, _ body: [String: any Sendable], idempotencyKey: String) async throws -> DemoRecord {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "idempotency-key", value: idempotencyKey)
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        return try Self.decoder.decode(DemoRecord.self, from: try await send(request))
    }

    func getJSON(_ path: String) async throws -> [String: Any] {
        let data = try await send(HTTPClientRequest(url: baseURL + path))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// Holds on `?wait=` until the generation is terminal, then prints how it resolved.
    func waitTerminal(_ id: Int64, since started: ContinuousClock.Instant) async -> DemoRecord? {
        for _ in 0..<6 {
            guard let data = try? await send(HTTPClientRequest(url: "\(baseURL)/v1/generations/\(id)?wait=20")),
                  let record = try? Self.decoder.decode(DemoRecord.self, from: data) else { return nil }
            if !["SUBMITTING", "STARTING", "PROCESSING"].contains(record.status) {
                let how = record.resolvedBy.map { "by \($0)" } ?? ""
                Terminal.line("resolved   \(Column.left("#\(record.id)", 4)) \(Column.left(record.kind, 11)) \(record.shortID)  "
                              + "\(Column.left(record.status, 10)) \(Column.left(how, 12)) after \(String(format: "%.1f", record.seconds ?? 0)) s")
                return record
            }
        }
        return nil
    }

    private func send(_ request: HTTPClientRequest) async throws -> Data {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return Data(buffer: try await response.body.collect(upTo: 1 << 22))
    }

    static let decoder = JSONDecoder()
}
