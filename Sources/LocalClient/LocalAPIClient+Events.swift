import AsyncHTTPClient
import DeclutterWire
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// What `watchEvents` follows: every message, or one generation's; some types only; from a sequence number.
public struct EventStreamRequest: Sendable, Equatable {
    /// A local id or a generation UUID: that generation's messages from its first, until it ends.
    public var generation: String?
    /// Message types to keep; nil: all.
    public var types: [String]?
    /// Start right after this sequence number; nil: with the next message committed (or the generation's first).
    public var after: Int64?

    public init(generation: String? = nil, types: [String]? = nil, after: Int64? = nil) {
        self.generation = generation
        self.types = types
        self.after = after
    }
}

/// How `watchEvents` comes back after the connection drops: after `initialDelay`, doubled after each attempt
/// that fails in a row up to `maxDelay`; it gives up after `attempts` failures in a row.
public struct StreamReconnect: Sendable, Equatable {
    public var initialDelay: Duration
    public var maxDelay: Duration
    public var attempts: Int

    public init(initialDelay: Duration, maxDelay: Duration, attempts: Int) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.attempts = max(attempts, 1)
    }

    /// 0.5 s, doubling up to 10 s, for about ten minutes of a daemon that does not come back.
    public static let standard = StreamReconnect(initialDelay: .milliseconds(500), maxDelay: .seconds(10), attempts: 64)

    func delay(afterFailures failures: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(failures, 1) where delay < maxDelay { delay *= 2 }
        return min(delay, maxDelay)
    }
}

// MARK: - The event stream

extension LocalAPIClient {
    /// Follows `GET /v1/events`, handing each event to `onEvent` in order. When the connection drops (or the daemon
    /// ends the stream as it stops) it reconnects with `Last-Event-ID` (the last event seen), so nothing is missed
    /// or repeated, waiting as `reconnect` says; `onReconnect` hears why and how long. Returns once a followed
    /// generation has ended; without one it runs until cancelled or `reconnect` gives up. The first connection is
    /// not retried: a daemon that is not there, or a refused request (400, 404, 503), is an error at once.
    public func watchEvents(_ request: EventStreamRequest, reconnect: StreamReconnect = .standard,
                            onReconnect: (String, Duration) -> Void = { _, _ in },
                            onEvent: (LocalStreamEvent) throws -> Void) async throws {
        var lastID = request.after.map(String.init)
        var failures = 0
        var connected = false
        while true {
            let reason: String
            do {
                let ended = try await streamOnce(request, lastID: lastID, onPosition: { lastID = $0 ?? lastID }) { event in
                    try onEvent(event)
                }
                connected = true
                failures = 0
                if ended { return }
                if let generation = request.generation, !(try await self.generation(generation).value.isPending) { return }
                reason = "the daemon ended the stream"
            } catch let error as LocalClientError where connected && error.kind == .unreachable {
                reason = error.message
            }
            failures += 1
            if failures > reconnect.attempts {
                throw LocalClientError(.unreachable, code: "unreachable",
                                       message: "the event stream at \(endpoint) dropped and \(reconnect.attempts) reconnections failed: \(reason)")
            }
            let delay = reconnect.delay(afterFailures: failures)
            onReconnect(reason, delay)
            try await Task.sleep(for: delay)
        }
    }

    /// One connection: true when it ended on a followed generation's terminal event, false when the daemon closed
    /// the stream otherwise. Transport failures are `.unreachable` (`connection_lost` once the stream was open).
    private func streamOnce(_ request: EventStreamRequest, lastID: String?, onPosition: (String?) -> Void,
                            onEvent: (LocalStreamEvent) throws -> Void) async throws -> Bool {
        var query: [(String, String)] = []
        if let generation = request.generation { query.append(("generation_id", generation)) }
        if let types = request.types { query.append(("types", types.joined(separator: ","))) }
        let pathAndQuery = "/v1/events" + (query.isEmpty ? "" : "?" + query.map { "\($0)=\(Self.escaped($1))" }.joined(separator: "&"))
        var http = self.request(pathAndQuery)
        http.headers.add(name: "Accept", value: "text/event-stream")
        if let lastID { http.headers.add(name: "Last-Event-ID", value: lastID) }

        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(http, timeout: callTimeout)
        } catch {
            throw LocalClientError(.unreachable, code: "unreachable", message: "cannot reach the daemon at \(endpoint): \(Self.reason(error))")
        }
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { Data(buffer: $0) } ?? Data()
            throw Self.apiError(status: Int(response.status.code), body: body)
        }
        var parser = EventStreamParser()
        do {
            for try await buffer in response.body {
                for event in parser.feed(buffer.readableBytesView) {
                    onPosition(event.id)
                    try onEvent(event)
                    if request.generation != nil, event.endsGeneration { return true }
                }
                onPosition(parser.lastEventID)
            }
        } catch let error where !(error is LocalClientError) && Self.isTransportError(error) {
            throw LocalClientError(.unreachable, code: "connection_lost", message: "the event stream dropped: \(Self.reason(error))")
        }
        return false
    }

    private static func isTransportError(_ error: any Error) -> Bool {
        error is HTTPClientError || error is ChannelError || error is IOError || answerMayBeLost(error)
    }
}
