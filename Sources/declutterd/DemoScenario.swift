import DeclutterAPI
import DeclutterDaemon
import DeclutterStore
import DeclutterSandbox
import Foundation
import LocalClient
import Logging
import UnixSignals

/// The demo's script: sandbox and daemon in one process, submissions through the real local API.
struct DemoScenario {
    let seed: UInt64
    let generations: Int
    let databasePath: String
    /// After the summary, serve on (dashboard included) until SIGINT or SIGTERM.
    var keepServing = false

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
        // The sandbox serves its result images on 127.0.0.1, which the archive refuses by default.
        configuration.archive.allowPrivate = true
        return configuration
    }

    func run() async throws {
        let started = ContinuousClock.now
        let sandbox = try await Sandbox(configuration: sandboxConfiguration).start()
        var logger = Logger(label: "declutterd.demo")
        logger.logLevel = .warning
        let daemon = try await Daemon(configuration: daemonConfiguration(sandbox: sandbox), logger: logger).start()
        let receiver = await DemoReceiver.start()
        Terminal.line("sandbox  \(sandbox.baseURL)   (seed \(seed): drops ~1/3 of callbacks, duplicates, delays and reorders others, fails ~1 in 10)")
        Terminal.line("daemon   callbacks \(daemon.callbackBaseURL)   local API \(daemon.localURL)")
        Terminal.line("dashboard \(daemon.localURL)/")
        Terminal.line("app      \(receiver.url)   (a webhook endpoint: every change of state is pushed to it, signed)")
        Terminal.line("database \(databasePath)\n")
        let (resolved, archive, pending) = try await LocalAPIClient.with(try LocalEndpoint(daemon.localURL)) { api in
            let endpoint = try await api.addEndpoint(url: receiver.url, types: nil, description: "the demo's app").value
            receiver.trust(endpoint.secret)
            let resolved = try await submitAndFollow(api)
            // The archive's messages (generation.archived) come after the results: the deliveries settle last.
            let archive = try await archiveSettled(daemon.daemon.database)
            return (resolved, archive, try await deliveriesSettled(api))
        }
        let counters = await sandbox.sandbox.counters()
        let remaining = await sandbox.sandbox.remainingPhotos()
        let summary = DemoSummary(records: resolved, counters: counters, remainingPhotos: remaining, arrivals: receiver.arrivals,
                                  deliveriesPending: pending, elapsed: ContinuousClock.now - started, databasePath: databasePath,
                                  archive: archive, archiveDirectory: daemon.daemon.archiveDirectory.root)
        if keepServing {
            summary.print()
            Terminal.line("\nserving on: the dashboard is at \(daemon.localURL)/ (Ctrl-C to stop)")
            await Self.waitForStopSignal()
        }
        await daemon.stop()
        await receiver.stop()
        await sandbox.stop()
        if !keepServing { summary.print() }
    }

    /// Returns at the first SIGINT or SIGTERM.
    private static func waitForStopSignal() async {
        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return }
    }

    /// Waits (up to 5 s) until no result image is waiting for its download; returns the archive's counts.
    private func archiveSettled(_ database: any Store) async throws -> ArchiveCounts {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let counts = try await database.archiveCounts()
            if counts.pending == 0 || ContinuousClock.now >= deadline { return counts }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits (up to 5 s) until no delivery is pending; returns how many still are.
    private func deliveriesSettled(_ api: LocalAPIClient) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let pending = try await api.deliveries(DeliveryQuery(status: "pending", limit: 100)).value.deliveries.count
            if pending == 0 || ContinuousClock.now >= deadline { return pending }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Submits the generations, a variation of the first few that succeed, and follows each to its end.
    private func submitAndFollow(_ api: LocalAPIClient) async throws -> [LocalGeneration] {
        var submitted: [LocalGeneration] = []
        for index in 1...generations {
            let record = try await api.submit(imageURL: "https://listings.example/flat-\(index)/living-room.jpg", auto: true, maskURL: nil,
                                              idempotencyKey: "demo-\(seed)-\(index)").value
            submitted.append(record)
            Terminal.line("submitted  \(Column.left("#\(record.id)", 4)) generation  \(record.shortID)  remaining photos \(record.remainingPhotos ?? -1)")
        }
        let variationsWanted = max(1, generations / 3)
        return await withTaskGroup(of: [LocalGeneration].self) { group in
            for (index, record) in submitted.enumerated() {
                group.addTask {
                    guard let done = await follow(record, api) else { return [] }
                    guard index < variationsWanted, done.status == "SUCCEEDED",
                          let variation = try? await api.vary("\(done.id)", maskURL: nil, originalURL: nil, idempotencyKey: "demo-\(seed)-v\(index)").value
                    else { return [done] }
                    Terminal.line("submitted  \(Column.left("#\(variation.id)", 4)) variation   \(variation.shortID)  of #\(done.id)")
                    return [done] + [await follow(variation, api)].compactMap { $0 }
                }
            }
            var all: [LocalGeneration] = []
            for await chain in group { all += chain }
            return all.sorted { $0.id < $1.id }
        }
    }

    /// Waits for a generation to settle, then says how it resolved.
    private func follow(_ record: LocalGeneration, _ api: LocalAPIClient) async -> LocalGeneration? {
        guard let done = try? await api.waitUntilSettled("\(record.id)", step: 20, onUpdate: { _ in }).value else { return nil }
        let how = done.resolvedBy.map { "by \($0)" } ?? ""
        Terminal.line("resolved   \(Column.left("#\(done.id)", 4)) \(Column.left(done.kind, 11)) \(done.shortID)  "
                      + "\(Column.left(done.status, 10)) \(Column.left(how, 12)) after \(String(format: "%.1f", done.seconds ?? 0)) s")
        return done
    }
}

extension LocalGeneration {
    var shortID: String { String((generationID ?? "-").prefix(8)) }

    /// From creation to the terminal state.
    var seconds: Double? {
        guard let completedAt, let end = StoreFormat.date(fromTimestamp: completedAt),
              let start = StoreFormat.date(fromTimestamp: createdAt) else { return nil }
        return end.timeIntervalSince(start)
    }
}
