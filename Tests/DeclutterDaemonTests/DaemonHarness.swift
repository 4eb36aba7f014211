import AsyncHTTPClient
import DeclutterAPI
import DeclutterDaemon
import DeclutterSandbox
import DeclutterStore
import Foundation
import TestSupport
import Logging
import NIOCore
import NIOFoundationCompat

/// A real daemon and a real sandbox on free loopback ports, a fresh store (a SQLite file, or with `backend: .postgres`
/// a schema of its own in the test server), millisecond timings.
struct Harness: Sendable {
    let sandbox: RunningSandbox
    let daemon: RunningDaemon
    let directory: URL
    /// The PostgreSQL schema the daemon runs in, dropped by `stop()`.
    let schema: String?

    /// The daemon's store, whichever the backend: what tests read what they check through.
    var database: any Store { daemon.daemon.database }
    /// For the tests that read SQLite's tables themselves (they run on SQLite only).
    var sqlite: AppDatabase { daemon.daemon.database as! AppDatabase }
    var databasePath: String { daemon.daemon.configuration.databasePath }

    /// Polling timings for tests: intervals 20–100 ms, LOST after 5 s. The grace is long (30 s) so that a
    /// delivered callback always wins on a loaded machine; tests of the fallback shorten it.
    static var fastPolling: PollingConfiguration {
        var polling = PollingConfiguration()
        polling.callbackGrace = .seconds(30)
        polling.initialInterval = .milliseconds(20)
        polling.maxInterval = .milliseconds(100)
        polling.giveUpAfter = .seconds(5)
        polling.maxInFlight = 4
        polling.maxPerSecond = 200
        return polling
    }

    static func quietLogger() -> Logger {
        var logger = Logger(label: "declutterd.test")
        logger.logLevel = .critical
        return logger
    }

    /// The daemon configuration for a sandbox, a database path and polling timings.
    static func configuration(for sandbox: RunningSandbox, databasePath: String, polling: PollingConfiguration) -> DaemonConfiguration {
        let account = sandbox.sandbox.configuration
        var configuration = DaemonConfiguration(upstream: DeclutterClientConfiguration(
            baseURL: sandbox.baseURL, userID: account.userID, apiKey: account.apiKey, requestTimeout: .seconds(5),
            retrievalRetry: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(5)),
            submissionRetry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(5))))
        configuration.callbacksListen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.localListen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.publicBaseURLFromListener = true
        configuration.databasePath = databasePath
        configuration.polling = polling
        // The sandbox serves its result images on 127.0.0.1; made-up image hosts (cdn.example) are refused without
        // a DNS lookup; retries in milliseconds.
        configuration.archive.allowPrivate = true
        configuration.archive.allowHosts = ["127.0.0.1"]
        configuration.archive.retrySchedule = [.zero, .milliseconds(20), .milliseconds(40)]
        return configuration
    }

    static func start(backend: StoreBackend = .sqlite, sandbox sandboxConfiguration: SandboxConfiguration = .fast(),
                      polling: PollingConfiguration = fastPolling, clock: DaemonClock = .system,
                      adjust: (inout DaemonConfiguration) -> Void = { _ in }) async throws -> Harness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("declutterd-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var sandboxConfiguration = sandboxConfiguration
        // A callback on PostgreSQL beside the whole suite waits for its batch's commit on a loaded machine: given the
        // same minute as the store's operations before it counts as a failed delivery (a non-2xx still counts at once).
        if backend == .postgres { sandboxConfiguration.callbackTimeout = .seconds(60) }
        let sandbox = try await Sandbox(configuration: sandboxConfiguration).start()
        var configuration = configuration(for: sandbox, databasePath: directory.appendingPathComponent("declutterd.sqlite").path, polling: polling)
        // A sandbox that answers generate only once its callback is through, or once it fetched the photo from the
        // daemon, waits on the daemon itself: on a loaded machine that outlasts the 5 s a call is given otherwise (the
        // outcome would then be unknown).
        if sandboxConfiguration.callbackBeforeAnswer || sandboxConfiguration.fetchInputs { configuration.upstream.requestTimeout = .seconds(30) }
        adjust(&configuration)
        var schema: String?
        if backend == .postgres {
            let (name, location) = try await TestPostgres.newSchema()
            schema = name
            configuration.database.location = location
            // Many daemons run at once in the suite, all on one test server: a small pool each, and operations that
            // may wait on a loaded machine (a store operation past its timeout is a 503 or an unknown outcome).
            configuration.database.maxConnections = 4
            configuration.database.timeout = .seconds(60)
            // The sandbox may hold its answer until its callback is through (callbackBeforeAnswer): slower on
            // PostgreSQL under load than the 5 s the SQLite harness gives a call.
            configuration.upstream.requestTimeout = .seconds(30)
            // Likewise the default 5 s to LOST, which a poll on PostgreSQL beside the whole suite could miss; tests of
            // LOST set their own.
            if configuration.polling.giveUpAfter == fastPolling.giveUpAfter { configuration.polling.giveUpAfter = .seconds(60) }
        }
        let store = try await Daemon.openStore(configuration, logger: quietLogger())
        let daemon = try await Daemon(configuration: configuration, store: store, logger: quietLogger(), clock: clock).start()
        return Harness(sandbox: sandbox, daemon: daemon, directory: directory, schema: schema)
    }

    /// Starts a harness, runs `body` and stops everything, whether `body` throws or not.
    static func with<T>(backend: StoreBackend = .sqlite, sandbox: SandboxConfiguration = .fast(), polling: PollingConfiguration = fastPolling,
                        clock: DaemonClock = .system, adjust: (inout DaemonConfiguration) -> Void = { _ in },
                        _ body: (Harness) async throws -> T) async throws -> T {
        try await using(try await Harness.start(backend: backend, sandbox: sandbox, polling: polling, clock: clock, adjust: adjust),
                        stop: { await $0.stop() }, body)
    }

    /// Stops the daemon only (the database file stays), e.g. to start another on the same file.
    func stopDaemon() async {
        await daemon.stop()
    }

    func stop() async {
        await daemon.stop()
        await sandbox.stop()
        try? FileManager.default.removeItem(at: directory)
        if let schema { try? await TestPostgres.dropSchema(schema) }
    }

    // MARK: - HTTP

    struct Reply: Sendable {
        let status: Int
        let headers: [(String, String)]
        let body: Data

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    static func send(_ method: String, _ url: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            if headers.keys.allSatisfy({ $0.lowercased() != "content-type" }) { request.headers.add(name: "content-type", value: "application/json") }
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await DeclutterClient.sharedHTTPClient.execute(request, timeout: .seconds(70))
        let data = Data(buffer: try await response.body.collect(upTo: 1 << 24))
        return Reply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: data)
    }

    /// A call to the local API.
    func local(_ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:]) async throws -> Reply {
        try await Self.send(method, daemon.localURL + path, body: json.map { Data($0.utf8) }, headers: headers)
    }

    /// Submits a generation through the local API and returns its record.
    func submit(image: String = "https://images.example/room.jpg", idempotencyKey: String? = nil) async throws -> [String: Any] {
        let reply = try await local("POST", "/v1/generations", json: #"{"image_url": "\#(image)", "auto": true}"#,
                                    headers: idempotencyKey.map { ["Idempotency-Key": $0] } ?? [:])
        guard reply.status == 202 else { throw HarnessError("submit answered \(reply.status): \(reply.text)") }
        return reply.json
    }

    /// Waits (by `?wait=`) for a generation to leave the pending states.
    func waitTerminal(_ id: Any, seconds: Int = 20) async throws -> [String: Any] {
        try await local("GET", "/v1/generations/\(id)?wait=\(seconds)").json
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
