import DeclutterStore
import Foundation
import Hummingbird

// MARK: - The event stream: GET /v1/events

extension LocalAPIController {
    /// Server-Sent Events of the outbox's messages (docs/delivery.md, "The event stream"). Everything that can be
    /// refused (400, 404, 503) is refused before the stream starts.
    func eventStream(_ request: Request, _ context: LocalContext) async throws -> Response {
        let query = try EventStreamQuery(request)
        var row: Int64?
        if let text = query.generation {
            guard let generation = try await database.generation(try Self.locator(text, field: .generationID)) else { throw Self.notFound }
            row = try generation.requireRow()
        }
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store"]
        guard request.method != .head else { return Response(status: .ok, headers: headers) }
        // Without a place to start from: the next message committed, or a followed generation's first.
        var start = query.after ?? 0
        if query.after == nil, row == nil { start = try await database.latestMessageSequence() }
        if query.after != nil { try query.refusePastNewest(try await database.latestMessageSequence()) }
        guard let lease = streams.open() else {
            metrics.eventStreamDropped(.overCapacity)
            throw APIError(.serviceUnavailable, code: .tooManyStreams,
                           message: "\(streams.capacity) event streams are open already (local.max_event_streams); retry shortly",
                           headers: [.retryAfter: "\(Self.streamRetryAfter)"])
        }
        let stream = EventStream(database: database, lease: lease, configuration: streams.configuration, clock: streams.clock,
                                 channel: context.channel, logger: context.logger, metrics: metrics, start: start, generation: row,
                                 types: query.types)
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in try await stream.run(&writer) })
    }

    /// Seconds a client refused for too many streams is told to wait.
    static let streamRetryAfter = 5
}
