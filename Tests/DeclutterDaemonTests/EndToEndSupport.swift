import DeclutterAPI
import DeclutterDaemon
import DeclutterSandbox
import DeclutterStore
import Foundation
import GRDB
import Logging
import TestSupport
import Testing

/// Helpers shared by the end-to-end suites (`EndToEnd*.swift`): configurations, and readings of the daemon's database and of the sandbox's own counters.
enum E2E {
    /// The fast sandbox (jobs of 30–60 ms), adjusted.
    static func sandbox(seed: UInt64 = 1, _ adjust: (inout SandboxConfiguration) -> Void = { _ in }) -> SandboxConfiguration {
        var configuration = SandboxConfiguration.fast(seed: seed)
        adjust(&configuration)
        return configuration
    }

    /// Upstream keeps each generation PROCESSING for an hour and sends no callback: the test is the only sender.
    static let silentSandbox = sandbox {
        $0.completionTime = 3600...3600
        $0.faults.callbackDrop = 1
    }

    /// `Harness.fastPolling`, adjusted.
    static func polling(_ adjust: (inout PollingConfiguration) -> Void = { _ in }) -> PollingConfiguration {
        var polling = Harness.fastPolling
        adjust(&polling)
        return polling
    }

    /// For tests where every callback is delivered: no poll comes due while they run, however loaded the
    /// machine, so "zero retrieval calls" is decided by the daemon's logic, not by a race against the grace.
    static let callbacksOnly = polling { $0.callbackGrace = .seconds(60) }

    /// For tests of a missed callback, with the daemon on a manual clock (`Harness.pollAfterTheJobs`): the first
    /// poll is due 3 s after submission on that clock, which the test moves only once every job has ended and every
    /// callback that was sent has been applied. Nothing races the machine's pace; LOST only after a minute.
    static let pollAfterJob = polling {
        $0.callbackGrace = .seconds(3)
        $0.giveUpAfter = .seconds(60)
    }

    /// The local id of a record as the local API returns it.
    static func row(_ record: [String: Any]) throws -> Int64 {
        if let number = record["id"] as? NSNumber { return number.int64Value }
        throw HarnessError("no id in \(record)")
    }

    static func string(_ record: [String: Any], _ key: String) -> String? { record[key] as? String }

    /// The `{"error": {"code"}}` of a reply.
    static func errorCode(_ reply: Harness.Reply) -> String? { (reply.json["error"] as? [String: Any])?["code"] as? String }
    static func errorMessage(_ reply: Harness.Reply) -> String? { (reply.json["error"] as? [String: Any])?["message"] as? String }

    /// Every table a request could write to (all but the heartbeat, which only readiness checks touch).
    static let tables = ["projects", "generations", "events", "quota_history", "idempotency_keys"]
}

extension Harness {
    /// Retrieval (`get`) calls the sandbox counted for one generation.
    func retrievals(of generationID: String) async -> Int {
        await sandbox.sandbox.counters().retrievalCallsByGeneration[generationID.lowercased()] ?? 0
    }

    /// Once the sandbox has ended every one of `generations` (its terminal callback sent or dropped), and each whose
    /// callback was sent is settled by it: moves `clock` past `E2E.pollAfterJob`'s grace, then on a few milliseconds
    /// at a time (the poller's pace is on the clock too) until every one has settled.
    func pollAfterTheJobs(_ generations: [(row: Int64, generationID: String)], clock: ManualClock) async throws {
        let ids = Set(generations.map { $0.generationID.lowercased() })
        try await eventually("every job ended") {
            let ended = await sandbox.sandbox.callbackFates().filter { $0.status.isTerminal }
            return ids.isSubset(of: Set(ended.map { StoreFormat.uuid($0.generationID) }))
        }
        let fates = await sandbox.sandbox.callbackFates().filter { $0.status.isTerminal }
        let delivered = generations.filter { generation in
            fates.contains { StoreFormat.uuid($0.generationID) == generation.generationID.lowercased() && !$0.dropped }
        }
        for generation in delivered {
            try await eventually("the callback of \(generation.row) applied") { try await !record(generation.row).status.isPending }
        }
        clock.advance(by: E2E.pollAfterJob.callbackGrace + .milliseconds(1))
        try await eventually("every generation settled") {
            for generation in generations where try await record(generation.row).status.isPending {
                clock.advance(by: .milliseconds(10))
                return false
            }
            return true
        }
    }

    /// The stored record of a local id.
    func record(_ row: Int64) async throws -> GenerationRecord {
        guard let record = try await database.generation(.row(row)) else { throw HarnessError("no generation \(row)") }
        return record
    }

    /// Rows in each table a request could write to.
    func rowCounts() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in E2E.tables { counts[table] = try await HarnessSQL.count(database, "SELECT count(*) FROM \(table)") }
        return counts
    }

    /// `SELECT count(*) FROM events WHERE …`.
    func countEvents(where condition: String, _ values: [SQLValue] = []) async throws -> Int {
        try await HarnessSQL.count(database, "SELECT count(*) FROM events WHERE \(condition)", values)
    }

    /// Submits one generation and returns its local id and its upstream generation id.
    func submitted(image: String = "https://images.example/room.jpg") async throws -> (row: Int64, generationID: String) {
        let record = try await submit(image: image)
        guard let generationID = E2E.string(record, "generation_id") else { throw HarnessError("no generation_id in \(record)") }
        return (try E2E.row(record), generationID)
    }

    /// Waits (bounded) until the generation is no longer pending in the database itself.
    func waitSettled(_ row: Int64, timeout: Duration = .seconds(30)) async throws -> GenerationRecord {
        _ = try await eventually(timeout: timeout) { try await !record(row).status.isPending }
        return try await record(row)
    }
}

/// A second daemon on an existing database file (after `stopDaemon()`), for restart tests.
struct RestartedDaemon {
    let running: RunningDaemon

    /// `downFor` shifts the new daemon's clock forward, as if it had been started that much later.
    static func start(on harness: Harness, polling: PollingConfiguration = Harness.fastPolling,
                      downFor downtime: TimeInterval = 0) async throws -> RestartedDaemon {
        let configuration = Harness.configuration(for: harness.sandbox, databasePath: harness.databasePath, polling: polling)
        let daemon = try Daemon(configuration: configuration, logger: Harness.quietLogger(), clock: DaemonClock(ContinuousClock()) { Date() + downtime })
        return RestartedDaemon(running: try await daemon.start())
    }

    var database: AppDatabase { running.daemon.database as! AppDatabase }

    func local(_ method: String, _ path: String, json: String? = nil) async throws -> Harness.Reply {
        try await Harness.send(method, running.localURL + path, body: json.map { Data($0.utf8) })
    }

    func stop() async { await running.stop() }
}
