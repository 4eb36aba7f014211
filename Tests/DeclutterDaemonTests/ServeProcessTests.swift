import DeclutterAPI
import DeclutterSandbox
import DeclutterStore
import Foundation
import GRDB
import Synchronization
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("declutterd serve under systemd's eyes: notify, watchdog, graceful stop", .serialized)
struct ServeProcessTests {
    @Test("READY=1 only once the listeners answer, WATCHDOG=1 keeps coming, STOPPING=1 and exit 0 on SIGTERM")
    func notifyProtocol() async throws {
        let sandbox = try await Sandbox(configuration: .fast()).start()
        let notify = try NotifySocket()
        defer { notify.stop() }
        // Given systemd's environment: a notify socket and a 200 ms watchdog (pings every 100 ms)
        let serve = try ServeProcess(sandbox: sandbox, extraEnvironment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "200000"])

        // When READY=1 arrives, both listeners already answer
        let ready = try await eventually(timeout: .seconds(60)) { notify.lines.contains("READY=1") }
        #expect(ready, "no READY=1; stderr: \(serve.stderr)")
        let (callbacks, local) = try await serve.listeners()
        for listener in [callbacks, local] {
            let health = try await Harness.send("GET", listener + "/healthz")
            #expect(health.status == 200 && health.header("content-type") == "text/plain; charset=utf-8" && health.text == "ok\n")
        }
        #expect(try await Harness.send("GET", local + "/readyz").status == 200)

        // Then the watchdog is fed, each ping earned by a store write, and STATUS= tells the counts
        let fed = try await eventually(timeout: .seconds(20)) { notify.lines.filter { $0 == "WATCHDOG=1" }.count >= 3 }
        #expect(fed)
        #expect(notify.lines.contains { $0.hasPrefix("STATUS=pending 0, failed 0") })
        let beats = try await withDatabase(at: serve.databasePath) { database in
            try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM heartbeat") }
        }
        #expect(beats == 1)

        // And SIGTERM gives STOPPING=1 and a clean exit
        serve.signal(SIGTERM)
        let status = try await serve.waitForExit()
        #expect(status == 0, "stderr: \(serve.stderr)")
        let lines = notify.lines
        let readyIndex = try #require(lines.firstIndex(of: "READY=1"))
        #expect(readyIndex == 0, "READY=1 is the first thing systemd hears: \(lines.prefix(3))")
        let stoppingIndex = try #require(lines.firstIndex(of: "STOPPING=1"), "no STOPPING=1 in \(lines)")
        #expect(readyIndex < stoppingIndex)
        await sandbox.stop()
    }

    @Test("SIGTERM while callbacks are being sent: every callback that got a 2xx is in the database, exit 0")
    func sigtermUnderLoad() async throws {
        let sandbox = try await Sandbox(configuration: E2E.silentSandbox).start()  // it sends nothing itself: the test does
        let serve = try ServeProcess(sandbox: sandbox)
        let (callbacks, local) = try await serve.listeners()

        // Given 16 generations submitted through the local API
        for index in 0..<16 {
            let reply = try await Harness.send("POST", local + "/v1/generations",
                                               body: Data(#"{"image_url": "https://images.example/\#(index).jpg", "auto": true}"#.utf8))
            #expect(reply.status == 202)
        }
        let webhooks = await sandbox.sandbox.webhooks()
        let tokens = webhooks.values.compactMap { $0.split(separator: "/").last.map(String.init) }
        #expect(tokens.count == 16)

        // When callbacks stream in from 8 senders and SIGTERM lands in the middle
        let load = LoadRecord()
        let statuses = ["PROCESSING", "SUCCEEDED"]
        await withTaskGroup(of: Void.self) { group in
            for sender in 0..<8 {
                group.addTask {
                    for round in 0..<40 {
                        let token = tokens[(sender + round * 8) % tokens.count]
                        let status = statuses[round % 2]
                        let images = status == "SUCCEEDED" ? #", "images": ["https://cdn.example/\#(token.prefix(6)).png"]"# : ""
                        let body = Data(#"{"status": "\#(status)"\#(images)}"#.utf8)
                        let count = load.sent.withLock { sent in sent += 1; return sent }
                        if count == 120 {
                            load.stoppedAt.withLock { $0 = .now }
                            serve.signal(SIGTERM)
                        }
                        guard let reply = try? await Harness.send("POST", callbacks + "/callbacks/" + token, body: body) else { continue }
                        if (200..<300).contains(reply.status) { load.acknowledged.withLock { $0.append((token, status)) } }
                    }
                }
            }
        }
        let status = try await serve.waitForExit()
        let stopTook = load.stoppedAt.withLock { $0 }.map { ContinuousClock.now - $0 }
        print("shutdown under load: \(load.acknowledged.withLock { $0.count }) callbacks acknowledged, exit after \(stopTook.map { "\($0)" } ?? "?")")
        #expect(status == 0, "stderr: \(serve.stderr)")

        // Then every acknowledged callback is in the database
        let acks = load.acknowledged.withLock { $0 }
        #expect(acks.count >= 100, "the stop came after 120 sends; most of those must have been acknowledged")
        try await withDatabase(at: serve.databasePath) { database in
            for token in Set(acks.map(\.token)) {
                for reported in statuses {
                    let expected = acks.filter { $0.token == token && $0.status == reported }.count
                    let stored = try await database.read { db in
                        try Int.fetchOne(db, sql: """
                            SELECT count(*) FROM events e JOIN generations g ON g.id = e.generation
                            WHERE g.callback_token_hash = ? AND e.source = 'callback' AND e.status_reported = ?
                            """, arguments: [CallbackToken.hash(of: token), reported]) ?? 0
                    }
                    #expect(stored >= expected, "token \(token.prefix(6)): \(expected) \(reported) acknowledged, \(stored) stored")
                }
            }
        }
        await sandbox.stop()
    }
}

/// What the senders of `sigtermUnderLoad` saw.
final class LoadRecord: Sendable {
    let acknowledged = Mutex<[(token: String, status: String)]>([])
    let sent = Mutex(0)
    let stoppedAt = Mutex<ContinuousClock.Instant?>(nil)
}
