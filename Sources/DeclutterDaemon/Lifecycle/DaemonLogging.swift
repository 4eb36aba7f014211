import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The daemon's one `LoggingSystem.bootstrap`: journald lines under systemd, swift-log's stderr stream elsewhere.
public enum DaemonLogging {
    /// Installs the process's log handler (once per process; tests build loggers of their own instead).
    public static func bootstrap(level: Logger.Level, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if standardErrorIsJournal(environment: environment) {
            LoggingSystem.bootstrap { label in
                var handler = JournalLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        } else {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }

    /// `<3>` (for `.error`) when stderr is the journal, else nothing: for the lines printed before logging starts,
    /// such as a configuration error, so `journalctl -p err` finds them.
    public static func standardErrorPrefix(_ level: Logger.Level, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        standardErrorIsJournal(environment: environment) ? "<\(JournalLogHandler.priority(level))>" : ""
    }

    /// True when systemd connected stderr to the journal: `$JOURNAL_STREAM` (`DEVICE:INODE`) names stderr itself,
    /// not merely a stream some ancestor had (a shell started from a service inherits the variable).
    public static func standardErrorIsJournal(environment: [String: String]) -> Bool {
        guard let stream = environment["JOURNAL_STREAM"], !stream.isEmpty else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return journalStream(stream, names: (device: UInt64(status.st_dev), inode: UInt64(status.st_ino)))
    }

    /// `$JOURNAL_STREAM` is `DEVICE:INODE` in decimal, as systemd writes it.
    public static func journalStream(_ value: String, names file: (device: UInt64, inode: UInt64)) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        return device == file.device && inode == file.inode
    }
}

/// One line per event on stderr for journald: `<N>label: message key=value ...`, where `<N>` is the syslog
/// priority journald reads (`SyslogLevelPrefix=`, on by default) and no timestamp, since journald keeps its own.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String
    private let emit: @Sendable (String) -> Void

    public init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
                write: @escaping @Sendable (String) -> Void = JournalLogHandler.writeToStandardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.emit = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        emit(Self.format(level: event.level, label: label, message: event.message.description, metadata: merged))
    }

    /// The line for one event, without its newline: `<6>declutterd: ready callbacks=127.0.0.1:8787`.
    /// Metadata sorted by key; values with spaces, quotes or `=` quoted; newlines and other control characters
    /// escaped, so an event never spans two journal entries.
    public static func format(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = "<\(priority(level))>\(escaped(label)): \(escaped(message))"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(escapedKey(key))=\(quotedIfNeeded("\(value)"))"
        }
        return line
    }

    /// The syslog priority journald files the line under.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Control characters as `\n`, `\r`, `\t`, `\u{1B}`; everything else as is.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where isControl(scalar): result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A metadata value as logfmt does it: bare when it can be, else in double quotes with `\"` and `\\`.
    static func quotedIfNeeded(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || isControl($0) }
        guard needsQuotes else { return value }
        let inner = escaped(value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))
        return "\"\(inner)\""
    }

    static func escapedKey(_ key: String) -> String {
        String(String.UnicodeScalarView(key.unicodeScalars.map { $0 == " " || $0 == "=" || isControl($0) ? "_" : $0 }))
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// One `write(2)` per line where it fits, under a lock, so concurrent events never interleave.
    public static let writeToStandardError: @Sendable (String) -> Void = { line in
        let bytes = Array((line + "\n").utf8)
        standardErrorLock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    private static let standardErrorLock = Mutex(())
}
