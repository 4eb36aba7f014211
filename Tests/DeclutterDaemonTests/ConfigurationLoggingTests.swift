import DeclutterDaemon
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

/// The log handler `log.level` configures: journald lines under systemd.
@Suite("Daemon logging for journald")
struct DaemonLoggingTests {
    @Test("each level gets its syslog priority prefix, and the line has no timestamp", arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func priorityPrefix(_ level: Logger.Level, _ priority: Int) {
        let line = JournalLogHandler.format(level: level, label: "declutterd", message: "polled", metadata: [:])
        #expect(line == "<\(priority)>declutterd: polled")
    }

    @Test("metadata sorted as key=value, quoted when needed; newlines escaped so one event is one line")
    func metadataAndEscapes() {
        let line = JournalLogHandler.format(level: .warning, label: "declutterd", message: "submission rejected\nsecond line", metadata: [
            "generation": "12", "error": "upstream rejected: HTTP 400: \"bad\"\nbody", "attempt": "2", "empty": "",
        ])
        #expect(line == #"<4>declutterd: submission rejected\nsecond line attempt=2 empty="" error="upstream rejected: HTTP 400: \"bad\"\nbody" generation=12"#)
        #expect(!line.contains("\n"))
        #expect(line.range(of: #"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}"#, options: .regularExpression) == nil, "no timestamp: \(line)")
    }

    @Test("the handler merges its metadata with the event's and writes one line per event")
    func handler() {
        let lines = CapturedLines()
        var logger = Logger(label: "declutterd") { label in
            var handler = JournalLogHandler(label: label, metadataProvider: nil, write: lines.append)
            handler.logLevel = .info
            return handler
        }
        logger[metadataKey: "generation"] = "7"
        logger.debug("not shown")
        logger.info("ready", metadata: ["callbacks": "127.0.0.1:8787", "generation": "8"])
        logger.error("poll failed")
        #expect(lines.all == ["<6>declutterd: ready callbacks=127.0.0.1:8787 generation=8", "<3>declutterd: poll failed generation=7"])
    }

    @Test("JOURNAL_STREAM must name stderr itself (DEVICE:INODE)")
    func journalStream() {
        #expect(DaemonLogging.journalStream("64769:123456", names: (device: 64769, inode: 123_456)))
        #expect(!DaemonLogging.journalStream("64769:123457", names: (device: 64769, inode: 123_456)))
        #expect(!DaemonLogging.journalStream("nonsense", names: (device: 64769, inode: 123_456)))
        #expect(!DaemonLogging.journalStream("64769:", names: (device: 64769, inode: 0)))
        #expect(!DaemonLogging.standardErrorIsJournal(environment: [:]))
        #expect(!DaemonLogging.standardErrorIsJournal(environment: ["JOURNAL_STREAM": "1:1"]))
    }
}

final class CapturedLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    @Sendable func append(_ line: String) { lines.withLock { $0.append(line) } }
}
