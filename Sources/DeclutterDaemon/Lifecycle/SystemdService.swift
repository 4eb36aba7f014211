import DeclutterStore
import Foundation
import Logging
import ServiceLifecycle

/// Keeps systemd informed (docs/operations.md): WATCHDOG=1 at half of `$WATCHDOG_USEC`, each ping earned by a
/// durable write to the store (a wedged store stops the pings, and systemd restarts the daemon);
/// STATUS= with the pending and failed counts; STOPPING=1 as soon as a graceful stop begins.
/// READY=1 is sent by `Daemon` once the store is migrated and both listeners are bound.
struct SystemdService: Service {
    let notifier: SystemdNotifier
    let database: any Store
    let readiness: Readiness
    let logger: Logger
    let clock: DaemonClock
    /// How often STATUS= is refreshed when there is no watchdog.
    var statusInterval: Duration = .seconds(10)

    func run() async throws {
        // A service that returns would stop the whole group: without systemd, just wait for the stop.
        guard notifier.isEnabled else { return try await gracefulShutdown() }
        let tick = notifier.watchdogInterval.map { min($0, statusInterval) } ?? statusInterval
        await withGracefulShutdownHandler {
            try? await cancelWhenGracefulShutdown {
                // READY=1 comes first: no ping or status before the listeners are bound.
                while !readiness.listenersBound { try await clock.sleep(for: .milliseconds(20)) }
                while !Task.isCancelled {
                    await beat()
                    try await clock.sleep(for: tick)
                }
            }
        } onGracefulShutdown: { [notifier] in
            notifier.notify("STOPPING=1\nSTATUS=stopping: draining callbacks and polls")
        }
    }

    /// One watchdog ping (only if the store takes a write) and a fresh STATUS= line.
    func beat() async {
        do {
            try await database.checkWritable()
        } catch let unreachable as StoreUnavailable {
            // A database server out of reach (PostgreSQL) is not this process being stuck: a restart would not bring
            // it back, and the process answers 503 meanwhile and recovers by itself.
            logger.error("store unreachable", metadata: ["error": "\(unreachable)"])
            notifier.notify((notifier.watchdogInterval == nil ? "" : "WATCHDOG=1\n") + "STATUS=store unreachable: \(unreachable)")
            return
        } catch {
            logger.error("store check failed: withholding the watchdog ping", metadata: ["error": "\(error)"])
            return
        }
        var message = notifier.watchdogInterval == nil ? "" : "WATCHDOG=1\n"
        if let stats = try? await database.stats() { message += "STATUS=" + Self.status(stats) }
        notifier.notify(message)
    }

    /// `pending 3, failed 1, 94 photos left` — what `systemctl status` shows.
    static func status(_ stats: StoreStats) -> String {
        let photos = stats.latestQuota.map { ", \($0.remainingPhotos) photos left" } ?? ""
        return "pending \(stats.pending), failed \(stats.endedWithoutResult)\(photos)"
    }
}
