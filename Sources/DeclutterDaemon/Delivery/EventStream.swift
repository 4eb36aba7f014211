import DeclutterStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// What a `GET /v1/events` asks for (docs/delivery.md, "The event stream").
struct EventStreamQuery: Sendable, Equatable {
    /// Start right after this sequence number (`Last-Event-ID`, else `?after=`); nil: from the next message
    /// committed, or from a followed generation's first message.
    var after: Int64?
    /// `?generation_id=` as given: a local id or a generation UUID.
    var generation: String?
    /// `?types=`; nil: every type.
    var types: [MessageType]?
    /// Where `after` came from, as its errors name it.
    var afterSource = Position.afterQuery

    /// The two ways a client gives its position: the field of an error's code, the name in its message.
    enum Position: Sendable, Equatable {
        case afterQuery, lastEventID

        var field: RequestField { self == .afterQuery ? .after : .lastEventID }
        var name: String { self == .afterQuery ? "after" : "Last-Event-ID" }
    }

    init(after: Int64? = nil, generation: String? = nil, types: [MessageType]? = nil) {
        self.after = after
        self.generation = generation
        self.types = types
    }

    /// Reads the query and `Last-Event-ID`; a malformed value is a 400 naming the rule. A client coming back
    /// sends its original URL (maybe with `?after=`) and the `Last-Event-ID` it saw last, which wins.
    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        // Both are checked, whichever is used.
        let afterQuery = try query["after"].map { try Self.sequence(String($0), .afterQuery) }
        let lastEventID = try request.headers[.lastEventID].map { try Self.sequence($0, .lastEventID) }
        after = lastEventID ?? afterQuery
        if lastEventID != nil { afterSource = .lastEventID }
        generation = query["generation_id"].map(String.init)
        if let text = query["types"].map(String.init) { types = try Self.types(text) }
    }

    /// A sequence number: 0 (before the first message) or more, in decimal digits. One beyond every sequence
    /// number there can be (beyond Int64) is still a position, the same as the largest.
    static func sequence(_ text: String, _ source: Position) throws -> Int64 {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw APIError(.badRequest, field: source.field,
                           message: "`\(source.name)` must be a message sequence number (the `id:` of an event): digits only")
        }
        return Int64(text) ?? Int64.max
    }

    /// Refuses a position past `newest`: it would silently withhold every message up to it (sequence numbers are never
    /// reused, so no honest client holds one).
    func refusePastNewest(_ newest: Int64) throws {
        guard let after, after > newest else { return }
        throw APIError(.badRequest, field: afterSource.field,
                       message: "`\(afterSource.name)` is \(after), past the newest message, \(newest): "
                           + "resume from an id the stream sent, or leave it out to start from the next message")
    }

    /// Comma-separated message types, each one of `MessageType`'s.
    static func types(_ text: String) throws -> [MessageType] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false)
        let types = names.compactMap { MessageType(rawValue: String($0)) }
        guard !names.isEmpty, types.count == names.count else {
            throw APIError.invalidField(.types, "must be a comma-separated list of message types, each one of "
                + MessageType.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return types
    }
}

/// One open `GET /v1/events` response: replays what the client missed from the database in pages, then
/// follows new messages, woken by each durable commit (never by a timer). The memory it holds is one page;
/// a write the client does not take within `writeTimeout` closes the connection, so a slow client is never
/// buffered for (it resumes with `Last-Event-ID`).
struct EventStream: Sendable {
    let database: any Store
    let lease: EventStreams.Lease
    let configuration: EventStreamConfiguration
    let clock: DaemonClock
    /// The connection, closed when a write times out.
    let channel: any Channel
    let logger: Logger
    let metrics: DaemonMetrics
    /// The sequence number after which the stream starts.
    let start: Int64
    /// `generations.id` of the generation followed: the stream ends after its terminal message.
    let generation: Int64?
    let types: [MessageType]?

    /// Messages read at once.
    static let pageSize = 100
    /// Events of a page gathered into one write up to about this many bytes.
    static let writeChunk = 64 * 1024
    static let keepAliveComment = ": keep-alive\n\n"

    /// Writes events until the followed generation ends, the daemon stops or the client goes away.
    func run(_ writer: inout any ResponseBodyWriter) async throws {
        defer { lease.release() }
        let bell = lease.bell
        // Subscribed before the first read, so no commit after it goes unheard.
        let commits = database.commits.subscribe()
        // A client that leaves closes its side: the stream ends then, not at its next write (the daemon lets a
        // client half-close, so the connection itself stays open until the daemon closes it).
        channel.closeFuture.whenComplete { _ in bell.stop() }
        let watcher = InputClosedWatcher { bell.stop() }
        try? await channel.pipeline.addHandler(watcher, position: .first).get()
        defer { channel.pipeline.removeHandler(watcher, promise: nil) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in commits { bell.signal() }
            }
            defer { group.cancelAll() }
            try await follow(&writer)
        }
        try await writer.finish(nil)
    }

    private func follow(_ writer: inout any ResponseBodyWriter) async throws {
        let bell = lease.bell
        var cursor = start
        // Where the stream starts, before any event: a client that loses the connection before its first event
        // resumes from here with Last-Event-ID, and misses nothing committed in between.
        try await write("id: \(start)\n\n", to: &writer)
        var lastWrite = clock.now
        while !bell.isStopped {
            bell.rearm()
            // Read before the page: a generation settled then has its terminal message in the page or before it.
            let settled = try await generationSettled()
            // Types are filtered here, not in SQL: the cursor then moves past what is left out, so a rare type
            // never makes each wake read everything since the stream began.
            let page = try await database.messages(matching: MessageFilter(after: cursor, generation: generation, limit: Self.pageSize))
            var chunk = ""
            var ended = false
            for message in page {
                cursor = message.sequence
                // A followed generation's story ends with its terminal message; its archive's message comes after.
                if generation != nil, message.type == .generationArchived { continue }
                if types?.contains(message.type) ?? true { chunk += Self.event(message) }
                if generation != nil, message.type.endsGeneration {
                    ended = true
                    break
                }
                if chunk.utf8.count >= Self.writeChunk {
                    try await write(chunk, to: &writer)
                    lastWrite = clock.now
                    chunk = ""
                    if bell.isStopped { return }
                }
            }
            if !chunk.isEmpty {
                try await write(chunk, to: &writer)
                lastWrite = clock.now
            }
            if ended || (page.isEmpty && settled) { return }
            if page.count == Self.pageSize { continue }
            // Caught up: wait for a commit, the keep-alive or the end. Every wake reads again (above).
            if await bell.wait(until: lastWrite.advanced(by: configuration.keepAlive)) { continue }
            try await write(Self.keepAliveComment, to: &writer)
            lastWrite = clock.now
        }
    }

    /// True when the followed generation is no longer pending (or gone); false when no generation is followed.
    private func generationSettled() async throws -> Bool {
        guard let generation else { return false }
        return try await database.generation(.row(generation)).map { !$0.status.isPending } ?? true
    }

    /// One write, allowed `writeTimeout` on the daemon's clock: past it (or once the daemon stops while the
    /// client is not taking it) the connection is closed, which ends the write with an error.
    private func write(_ text: String, to writer: inout any ResponseBodyWriter) async throws {
        let deadline = clock.now.advanced(by: configuration.writeTimeout)
        let (bell, channel, logger, metrics) = (lease.bell, channel, logger, metrics)
        let timeout = configuration.writeTimeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let stopped = await bell.waitForStop(until: deadline)
                guard !Task.isCancelled else { return }
                if !stopped {
                    metrics.eventStreamDropped(.slowClient)
                    logger.warning("event stream client took no write within the write timeout; disconnected (it resumes with Last-Event-ID)",
                                   metadata: ["write_timeout": "\(DurationText.format(timeout))"])
                }
                channel.close(promise: nil)
            }
            defer { group.cancelAll() }
            try await writer.write(ByteBuffer(string: text))
        }
    }

    /// `id:`, `event:` and the body as `data:` lines (one per line of the body: a JSON body has one).
    static func event(_ message: MessageRecord) -> String {
        var text = "id: \(message.sequence)\nevent: \(message.type.rawValue)\n"
        for line in message.body.split(separator: "\n", omittingEmptySubsequences: false) {
            text += "data: \(line)\n"
        }
        return text + "\n"
    }
}

/// Tells when the other side of a connection has closed its half: a client of an event stream has left.
private final class InputClosedWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    let onInputClosed: @Sendable () -> Void

    init(_ onInputClosed: @escaping @Sendable () -> Void) {
        self.onInputClosed = onInputClosed
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { onInputClosed() }
        context.fireUserInboundEventTriggered(event)
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}
