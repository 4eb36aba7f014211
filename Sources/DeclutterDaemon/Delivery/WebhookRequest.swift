import AsyncHTTPClient
import DeclutterStore
import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// One webhook POST and what came back, bounded in time on the daemon's clock and in what it keeps.
struct WebhookRequest: Sendable {
    /// What an attempt brought back, as the attempt row keeps it.
    struct Result: Sendable, Equatable {
        var answer: AttemptAnswer
        var httpStatus: Int?
        /// The first `DeliveryAttemptRecord.responseLimit` bytes of the answer's body.
        var response: String?
        var error: String?
    }

    /// No answer within `notify.timeout`.
    struct Timeout: Error {}

    let client: HTTPClient
    let clock: DaemonClock
    let timeout: Duration

    /// The client the worker owns: redirects are not followed (a 3xx is a failed attempt), a refused connection
    /// fails at once instead of being retried by the pool, and the pool never makes an attempt queue behind
    /// another one the worker let start.
    static func makeClient(_ configuration: DeliveryConfiguration) -> HTTPClient {
        var settings = HTTPClient.Configuration()
        settings.redirectConfiguration = .disallow
        settings.connectionPool.retryConnectionEstablishment = false
        settings.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(configuration.maxInFlight, 1)
        // The attempt's bound is `notify.timeout` on the daemon's clock (`send`); the client's own connect timeout, on
        // the wall clock, is only a backstop behind it and must never be what cuts an attempt short.
        settings.timeout.connect = .nanoseconds(Int64(max(configuration.timeout, Self.connectBackstop).seconds * 1e9))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: settings)
    }

    /// The least the client's connect timeout is, whatever `notify.timeout` says.
    static let connectBackstop: Duration = .seconds(10)

    /// The Standard Webhooks headers for `message` sent at `date` to `endpoint`.
    static func headers(for message: MessageRecord, to endpoint: EndpointRecord, at date: Date) -> [(String, String)] {
        let timestamp = Int(date.timeIntervalSince1970.rounded(.down))
        let signature = WebhookSignature.sign(id: message.webhookID, timestamp: timestamp, body: Data(message.body.utf8),
                                              secrets: endpoint.signingSecrets(at: date))
        return [("webhook-id", message.webhookID), ("webhook-timestamp", String(timestamp)), ("webhook-signature", signature),
                ("content-type", "application/json"), ("user-agent", "declutterd/\(DaemonVersion.current)")]
    }

    /// Posts `message` to `endpoint`. Throws only when the task is cancelled (a stop): the caller records nothing then.
    func send(_ message: MessageRecord, to endpoint: EndpointRecord, at date: Date) async throws -> Result {
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        for (name, value) in Self.headers(for: message, to: endpoint, at: date) { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: message.body))
        let deadline = clock.now.advanced(by: timeout)
        do {
            // The whole attempt, connection included, is bounded here on the daemon's clock, not by the client.
            let response = try await within(deadline) { [client, request] in try await client.execute(request, deadline: .distantFuture) }
            let status = Int(response.status.code)
            let retryAfter = response.headers.first(name: "retry-after")
            // A body still coming at the deadline is left; the status stands.
            let kept = try? await within(deadline) { await Self.prefix(of: response.body) }
            return Result(answer: .status(status, retryAfter: retryAfter), httpStatus: status,
                          response: kept.flatMap { $0.isEmpty ? nil : String(decoding: $0, as: UTF8.self) }, error: nil)
        } catch {
            try Task.checkCancellation()
            return Result(answer: .noAnswer, error: describe(error))
        }
    }

    /// The first `DeliveryAttemptRecord.responseLimit` bytes; the rest is never read (the connection closes).
    /// A body cut short keeps what came.
    static func prefix(of body: HTTPClientResponse.Body) async -> [UInt8] {
        let limit = DeliveryAttemptRecord.responseLimit
        var kept: [UInt8] = []
        do {
            for try await chunk in body {
                kept.append(contentsOf: chunk.readableBytesView.prefix(limit - kept.count))
                if kept.count >= limit { break }
            }
        } catch {}
        return kept
    }

    /// `work`'s result, unless `deadline` comes first: then `work` is cancelled and `Timeout` thrown.
    private func within<T: Sendable>(_ deadline: DaemonClock.Instant, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask { [clock] in
                try await clock.sleep(until: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else { throw Timeout() }
            return result
        }
    }

    /// The attempt row's `error`: short, and the same words for the same cause.
    func describe(_ error: any Error) -> String {
        switch error {
        case is Timeout:
            return "timeout: no answer within \(DurationText.format(timeout))"
        case let error as HTTPClientError where error == .connectTimeout:
            return "timeout: no connection within \(DurationText.format(timeout))"
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            return "connection closed before an answer"
        case let error as IOError where error.errnoCode == ECONNREFUSED:
            return "connection refused"
        case let error as NIOConnectionError:
            return error.connectionErrors.contains { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }
                ? "connection refused" : "cannot connect: \(error)"
        default:
            return "\(error)"
        }
    }
}
