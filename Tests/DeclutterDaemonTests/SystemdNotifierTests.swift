@testable import DeclutterDaemon
import DeclutterStore
import Foundation
import Logging
import TestSupport
import Testing

@Suite("sd_notify in pure Swift")
struct SystemdNotifierTests {
    @Test("a datagram reaches a socket path and an abstract @name", arguments: [false, true])
    func sendsToThePath(abstract: Bool) async throws {
        let socket = try NotifySocket(abstract: abstract)
        defer { socket.stop() }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path])
        #expect(notifier.notify("READY=1\nSTATUS=hello"))
        let arrived = try await eventually { socket.messages == ["READY=1\nSTATUS=hello"] }
        #expect(arrived, "\(socket.messages)")
    }

    @Test("without NOTIFY_SOCKET it is silent and asks for no watchdog")
    func silentWhenUnset() {
        let notifier = SystemdNotifier(environment: ["WATCHDOG_USEC": "1000000"])
        #expect(!notifier.isEnabled)
        #expect(!notifier.notify("READY=1"))
        #expect(notifier.watchdogInterval == nil)
    }

    @Test("the watchdog interval is half of WATCHDOG_USEC, and only for the process WATCHDOG_PID names")
    func watchdogInterval() {
        let mine = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid())"])
        #expect(mine.watchdogInterval == .seconds(15))
        let other = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"])
        #expect(other.watchdogInterval == nil)
    }

    @Test("a ping is sent only when the store takes a write: a wedged (closed) store stops the pings")
    func pingsNeedAWritableStore() async throws {
        let socket = try NotifySocket()
        defer { socket.stop() }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "2000000"])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("declutterd-notify-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try AppDatabase.open(path: directory.appendingPathComponent("declutterd.sqlite").path)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let service = SystemdService(notifier: notifier, database: database, readiness: Readiness(), logger: logger, clock: .system)

        async let writes: Void = database.runWrites()
        await service.beat()
        let pinged = try await eventually { socket.lines.contains("WATCHDOG=1") }
        #expect(pinged)
        #expect(socket.lines.contains("STATUS=pending 0, failed 0"))

        try await database.close()
        let before = socket.messages.count
        await service.beat()
        // Datagrams on a unix socket keep their order: once this marker is in, a ping would be too.
        notifier.notify("MARKER=1")
        let marked = try await eventually { socket.lines.contains("MARKER=1") }
        #expect(marked)
        #expect(socket.messages.count == before + 1, "\(socket.messages.suffix(2))")
        await writes
    }
}
