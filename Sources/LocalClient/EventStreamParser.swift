import DeclutterWire
import Foundation

/// One event of `GET /v1/events`: its sequence number (`id:`), its type (`event:`) and the message body (`data:`).
public struct LocalStreamEvent: Sendable, Equatable {
    /// The `id:` as sent; a sequence number from this daemon.
    public var id: String?
    public var type: String
    public var data: String

    public init(id: String?, type: String, data: String) {
        self.id = id
        self.type = type
        self.data = data
    }

    /// After this event a followed generation has nothing more to say.
    public var endsGeneration: Bool { MessageType(rawValue: type)?.endsGeneration ?? false }
}

/// Reads Server-Sent Events from bytes as they arrive (the WHATWG rules: lines end with LF, CRLF or CR; a blank
/// line dispatches the event; `:` starts a comment; `data:` lines are joined with LF). Holds at most one
/// unfinished line and one unfinished event.
public struct EventStreamParser: Sendable {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var id: String?
    private var type: String?
    private var data: [String] = []
    private var hasData = false

    public init() {}

    /// The last `id:` read, with an event or on its own (the stream opens with one): where to resume from.
    public var lastEventID: String? { id }

    /// The events completed by `bytes`.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [LocalStreamEvent] {
        var events: [LocalStreamEvent] = []
        for byte in bytes {
            if lastWasCR {
                lastWasCR = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0A, 0x0D:
                lastWasCR = byte == 0x0D
                if let event = endLine() { events.append(event) }
            default:
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() -> LocalStreamEvent? {
        let text = String(decoding: line, as: UTF8.self)
        line.removeAll(keepingCapacity: true)
        guard !text.isEmpty else { return dispatch() }
        if text.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "id": if !value.contains("\0") { id = String(value) }
        case "event": type = String(value)
        case "data":
            data.append(String(value))
            hasData = true
        default: break
        }
        return nil
    }

    private mutating func dispatch() -> LocalStreamEvent? {
        defer {
            type = nil
            data = []
            hasData = false
        }
        guard hasData else { return nil }
        return LocalStreamEvent(id: id, type: type ?? "message", data: data.joined(separator: "\n"))
    }
}
