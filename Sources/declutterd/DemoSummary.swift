import DeclutterDaemon
import DeclutterSandbox
import DeclutterStore
import Foundation
import LocalClient

/// The demo's closing table and figures.
struct DemoSummary {
    let records: [LocalGeneration]
    let counters: SandboxCounters
    let remainingPhotos: Int
    let arrivals: [DemoReceiver.Arrival]
    let deliveriesPending: Int
    let elapsed: Duration
    let databasePath: String
    let archive: ArchiveCounts
    let archiveDirectory: String

    func print() {
        Terminal.line("\n  id  kind        generation  status     resolved by  retrieval calls  seconds")
        for record in records {
            let calls = counters.retrievalCallsByGeneration[record.generationID ?? ""] ?? 0
            Terminal.line(Column.right("\(record.id)", 4) + "  " + Column.left(record.kind, 10) + "  " + Column.left(record.shortID, 10)
                          + "  " + Column.left(record.status, 9) + "  " + Column.left(record.resolvedBy ?? "-", 11)
                          + "  " + Column.right("\(calls)", 15) + "  " + Column.right(String(format: "%.1f", record.seconds ?? 0), 7))
        }
        let byCallback = records.filter { $0.resolvedBy == "callback" }
        let byPoll = records.filter { $0.resolvedBy == "poll" }
        let calls = { (group: [LocalGeneration]) in group.reduce(0) { $0 + (counters.retrievalCallsByGeneration[$1.generationID ?? ""] ?? 0) } }
        let perPoll = byPoll.isEmpty ? 0 : Double(calls(byPoll)) / Double(byPoll.count)
        Terminal.line("""

        \(records.count) generations: \(records.filter { $0.status == "SUCCEEDED" }.count) succeeded, \
        \(records.filter { $0.status == "FAILED" }.count) failed (refunded); \(byCallback.count) resolved by callback, \(byPoll.count) by poll
        sandbox: \(counters.callbacksSent) callbacks sent, \(counters.callbacksDropped) dropped, \(counters.callbacksDuplicated) duplicated, \
        \(counters.callbacksReordered) reordered, \(counters.callbacksDelayed) delayed, \(counters.callbacksMalformed) malformed
        retrieval calls: \(calls(byCallback)) for the \(byCallback.count) resolved by callback, \
        \(calls(byPoll)) for the \(byPoll.count) resolved by poll (\(String(format: "%.2f", perPoll)) each)
        photos: \(counters.photosSpent) spent, \(counters.photosRefunded) refunded, \(remainingPhotos) remaining
        webhooks: \(webhookLine)
        archive: \(archive.archived) result images kept (\(String(format: "%.1f", Double(archive.archivedBytes) / 1e6)) MB), \
        \(archive.failed) failed, \(archive.pending) pending, in \(archiveDirectory)
        took \(String(format: "%.1f", elapsed.seconds)) s

        Look inside:
          sqlite3 \(databasePath) 'SELECT * FROM generation_overview;'
          sqlite3 \(databasePath) 'SELECT generation, source, outcome, reason FROM events ORDER BY id;'
          sqlite3 \(databasePath) 'SELECT * FROM delivery_overview;'
          sqlite3 \(databasePath) 'SELECT generation, position, state, bytes, sha256 FROM image_overview;'
        """)
    }

    /// `42 messages delivered to the app (0 pending), signatures valid: 42; first arrival after commit: p50 3 ms, max 9 ms`.
    private var webhookLine: String {
        let distinct = Set(arrivals.map(\.webhookID)).count
        let valid = arrivals.filter(\.signatureValid).count
        let delays = arrivals.map { $0.delay * 1000 }.sorted()
        let timing = delays.isEmpty ? "" : String(format: "; from commit to the app: p50 %.0f ms, max %.0f ms", delays[delays.count / 2], delays.last ?? 0)
        return "\(distinct) messages delivered to the app in \(arrivals.count) requests (\(deliveriesPending) still pending), "
            + "\(valid) of \(arrivals.count) signatures valid\(timing)"
    }
}
