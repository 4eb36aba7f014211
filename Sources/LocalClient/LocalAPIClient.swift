import AsyncHTTPClient
import DeclutterAPI
import DeclutterWire
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Calls the daemon's local API (docs/local-api.md) and decodes its answers; every failure is a `LocalClientError`.
public struct LocalAPIClient: Sendable {
    public let endpoint: LocalEndpoint
    let httpClient: HTTPClient
    /// Time allowed for one call beyond what `?wait=` asks the daemon to hold it.
    let callTimeout: TimeAmount
    /// How a submission or variation sent with an Idempotency-Key is sent again when its answer is lost.
    let launchRetry: LaunchRetry
    /// A local API key (`dcl_...`), sent as `Authorization: Bearer` with every request; nil sends none.
    let key: String?

    /// Uses `httpClient` as is; see `with(_:body:)` for one that fails fast when nothing listens.
    public init(endpoint: LocalEndpoint, httpClient: HTTPClient, callTimeout: TimeAmount = .seconds(30),
                launchRetry: LaunchRetry = .standard, key: String? = nil) {
        self.endpoint = endpoint
        self.httpClient = httpClient
        self.callTimeout = callTimeout
        self.launchRetry = launchRetry
        self.key = key
    }

    /// Runs `body` with a client of its own, shut down afterwards. A refused connection fails at once
    /// (no retries behind the scenes), so an absent daemon is reported without delay.
    public static func with<T: Sendable>(_ endpoint: LocalEndpoint, callTimeout: TimeAmount = .seconds(30), launchRetry: LaunchRetry = .standard,
                                         key: String? = nil, body: (LocalAPIClient) async throws -> T) async throws -> T {
        let httpClient = DeclutterClient.makeHTTPClient(connectTimeout: .seconds(5))
        do {
            let result = try await body(LocalAPIClient(endpoint: endpoint, httpClient: httpClient, callTimeout: callTimeout, launchRetry: launchRetry,
                                                       key: key))
            try? await httpClient.shutdown()
            return result
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
    }

    // MARK: - Writes

    /// `POST /v1/generations`: `auto` or a `maskURL`. With an `idempotencyKey`, a call whose answer is lost
    /// is sent again under the same key (`launchRetry`).
    public func submit(imageURL: String, auto: Bool, maskURL: String?, idempotencyKey: String? = nil) async throws -> LocalReply<LocalGeneration> {
        let body = SubmitBody(imageURL: imageURL, auto: auto ? true : nil, maskURL: maskURL)
        return try await launch("/v1/generations", body: .json(Self.json(body)), idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/generations/{id}/variations`; the daemon defaults `originalURL` to the parent's image. Retried
    /// like `submit` when it carries an `idempotencyKey`.
    public func vary(_ id: String, maskURL: String?, originalURL: String?, idempotencyKey: String? = nil) async throws -> LocalReply<LocalGeneration> {
        try await launch("/v1/generations/\(Self.escaped(id))/variations", body: .json(Self.json(VaryBody(maskURL: maskURL, originalURL: originalURL))),
                         idempotencyKey: idempotencyKey)
    }

    /// A new Idempotency-Key for one submission: `cli-` and a random UUID.
    public static func newIdempotencyKey() -> String {
        "cli-" + UUID().uuidString.lowercased()
    }

    /// A launching POST. Sent with a key, it is sent again (same body, same key) when no answer came back
    /// although the request may have arrived: the daemon then returns the first attempt's generation, so
    /// nothing is spent twice. Without a key it is sent once.
    func launch(_ path: String, body: OutgoingBody, idempotencyKey: String?) async throws(LocalClientError) -> LocalReply<LocalGeneration> {
        guard let idempotencyKey else { return try await call(.POST, path, sending: body) }
        var attempt = 1
        var pause = launchRetry.backoff
        while true {
            do throws(LocalClientError) {
                return try await call(.POST, path, sending: body, idempotencyKey: idempotencyKey)
            } catch where error.code == LocalClientError.noAnswer {
                guard attempt < launchRetry.attempts, !Task.isCancelled else {
                    throw LocalClientError(error.kind, code: error.code, message: error.message
                        + " (\(attempt) attempt\(attempt == 1 ? "" : "s"); to retry without spending twice, send it again with --idempotency-key \(idempotencyKey))")
                }
                try? await Task.sleep(for: pause)
                attempt += 1
                pause *= 2
            }
        }
    }

    /// `POST /v1/track`: adopts a generation created elsewhere (202 new, 200 already tracked).
    public func track(generationID: String) async throws -> LocalReply<LocalGeneration> {
        try await call(.POST, "/v1/track", body: Self.json(TrackBody(generationID: generationID)))
    }

    /// `POST /v1/generations/{id}/refresh`: the daemon polls upstream now.
    public func refresh(_ id: String) async throws -> LocalReply<LocalGeneration> {
        try await call(.POST, "/v1/generations/\(Self.escaped(id))/refresh")
    }

    // MARK: - Reads

    /// `GET /v1/generations/{id}`; with `wait`, the daemon holds the call until the generation settles or that many seconds pass.
    public func generation(_ id: String, wait: Double? = nil) async throws -> LocalReply<LocalGeneration> {
        let query = wait.map { [("wait", String(format: "%g", min(max($0, 0), 60)))] } ?? []
        return try await call(.GET, "/v1/generations/\(Self.escaped(id))", query: query, extraTime: .seconds(Int64((wait ?? 0).rounded(.up))))
    }

    public func generations(_ query: GenerationQuery = GenerationQuery()) async throws -> LocalReply<LocalGenerationPage> {
        try await call(.GET, "/v1/generations", query: query.queryItems)
    }

    /// One page of a generation's trail: up to `limit` events after `cursor` (a previous page's `next_cursor`).
    public func events(_ id: String, limit: Int = 500, cursor: String? = nil) async throws -> LocalReply<LocalEventList> {
        try await call(.GET, "/v1/generations/\(Self.escaped(id))/events",
                       query: [("limit", String(limit))] + (cursor.map { [("cursor", $0)] } ?? []))
    }

    public func stats() async throws -> LocalReply<LocalStats> {
        try await call(.GET, "/v1/stats")
    }

    /// Asks `?wait=step` again and again until the generation is no longer pending, reporting each answer.
    /// `?wait` only returns early on a settled generation, so `step` is how often progress is seen.
    public func waitUntilSettled(_ id: String, step: Double = 1, onUpdate: (LocalGeneration) -> Void) async throws -> LocalReply<LocalGeneration> {
        while true {
            let reply = try await generation(id, wait: step)
            onUpdate(reply.value)
            if !reply.value.isPending { return reply }
            try Task.checkCancellation()
        }
    }

    // MARK: - Transport

    /// A request to `pathAndQuery` with what every request carries: the client's name and, when it has one, its key.
    func request(_ pathAndQuery: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint.url(pathAndQuery))
        request.headers.add(name: "User-Agent", value: "declutterd-cli")
        if let key { request.headers.add(name: "Authorization", value: "Bearer " + key) }
        return request
    }

    func call<Value: Decodable & Sendable>(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
                                                   body: Data? = nil, idempotencyKey: String? = nil,
                                                   extraTime: TimeAmount = .zero) async throws(LocalClientError) -> LocalReply<Value> {
        try await call(method, path, query: query, sending: body.map(OutgoingBody.json), idempotencyKey: idempotencyKey, extraTime: extraTime)
    }

    func call<Value: Decodable & Sendable>(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
                                                   sending body: OutgoingBody?, idempotencyKey: String? = nil,
                                                   extraTime: TimeAmount = .zero) async throws(LocalClientError) -> LocalReply<Value> {
        let pathAndQuery = query.isEmpty ? path : path + "?" + query.map { "\($0)=\(Self.escaped($1))" }.joined(separator: "&")
        var request = request(pathAndQuery)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let body {
            request.headers.add(name: "Content-Type", value: body.contentType)
            request.body = body.make()
        }

        let status: Int
        let data: Data
        let replayed: Bool
        let timeout = callTimeout + extraTime
        do {
            let response = try await httpClient.execute(request, timeout: timeout)
            status = Int(response.status.code)
            replayed = response.headers.first(name: "Idempotent-Replayed") == "true"
            data = Data(buffer: try await response.body.collect(upTo: 1 << 24))
        } catch {
            if Self.answerMayBeLost(error) {
                let reason = (error as? HTTPClientError) == .deadlineExceeded
                    ? " within \(String(format: "%g", Double(timeout.nanoseconds) / 1e9))s" : ": \(Self.reason(error))"
                throw LocalClientError(.unreachable, code: LocalClientError.noAnswer, message: "no answer from the daemon at \(endpoint)" + reason)
            }
            throw LocalClientError(.unreachable, code: "unreachable", message: "cannot reach the daemon at \(endpoint): \(Self.reason(error))")
        }
        guard (200..<300).contains(status) else { throw Self.apiError(status: status, body: data) }
        if status == 204, let nothing = NoContent() as? Value {
            return LocalReply(value: nothing, body: data, httpStatus: status, replayed: replayed)
        }
        do {
            return LocalReply(value: try JSONDecoder().decode(Value.self, from: data), body: data, httpStatus: status, replayed: replayed)
        } catch {
            throw LocalClientError(.failure, code: "unexpected_answer", message: "the daemon's answer to \(method) \(path) could not be read: \(error)")
        }
    }

    /// `{"error": {"code", "message"}}` → the error; 404 is "not found" whatever the body says.
    static func apiError(status: Int, body: Data) -> LocalClientError {
        let kind: LocalClientError.Kind = status == 404 ? .notFound : .failure
        if let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: body) {
            return LocalClientError(kind, code: envelope.error.code, message: envelope.error.message)
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return LocalClientError(kind, code: "http_\(status)", message: "the daemon answered HTTP \(status)" + (text.isEmpty ? "" : ": \(text)"))
    }

    /// Whether a transport error came after the request may have reached the daemon: a timeout waiting for the
    /// answer, or the connection dropped. A refused or timed-out connect proves nothing was sent.
    static func answerMayBeLost(_ error: any Error) -> Bool {
        switch error {
        case let error as HTTPClientError:
            return [HTTPClientError.deadlineExceeded, .readTimeout, .writeTimeout, .remoteConnectionClosed].contains(error)
        case let error as ChannelError:
            switch error {
            case .eof, .ioOnClosedChannel, .outputClosed, .alreadyClosed: return true
            default: return false
            }
        case let error as IOError:
            return [ECONNRESET, EPIPE].contains(error.errnoCode)
        default:
            return false
        }
    }

    /// A short, human reason for a transport error (`connection refused`, `timed out`).
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .connectTimeout: return "connection timed out"
        case let error as HTTPClientError where error == .deadlineExceeded: return "no answer in time"
        case let error as HTTPClientError where error == .remoteConnectionClosed: return "the connection closed before the answer"
        case let error as IOError: return String(cString: strerror(error.errnoCode)).lowercased()
        default: return "\(error)"
        }
    }

    static func json(_ body: some Encodable) -> Data {
        // Plain strings and flags: encoding cannot fail.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(body)) ?? Data("{}".utf8)
    }

    /// Percent-encodes everything but the unreserved characters, for a path segment or a query value.
    static func escaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// How many times a launch sent with an Idempotency-Key is sent in all when its answer is lost, and the pause
/// before the second attempt (doubled before each later one).
public struct LaunchRetry: Sendable, Equatable {
    public var attempts: Int
    public var backoff: Duration

    public init(attempts: Int, backoff: Duration) {
        self.attempts = max(attempts, 1)
        self.backoff = backoff
    }

    /// Three attempts, 0.5 s then 1 s apart.
    public static let standard = LaunchRetry(attempts: 3, backoff: .milliseconds(500))
    /// One attempt.
    public static let none = LaunchRetry(attempts: 1, backoff: .zero)
}

// MARK: - Bodies

/// A request body as the client sends it: its type, and a fresh body for each attempt (a file is read again).
struct OutgoingBody: Sendable {
    let contentType: String
    let make: @Sendable () -> HTTPClientRequest.Body

    static func json(_ data: Data) -> OutgoingBody {
        OutgoingBody(contentType: "application/json") { .bytes(ByteBuffer(data: data)) }
    }
}

private struct ErrorEnvelope: Decodable {
    struct Detail: Decodable {
        let code: String
        let message: String
    }

    let error: Detail
}

private struct SubmitBody: Encodable {
    let imageURL: String
    let auto: Bool?
    let maskURL: String?

    enum CodingKeys: String, CodingKey {
        case auto, imageURL = "image_url", maskURL = "mask_url"
    }
}

private struct VaryBody: Encodable {
    let maskURL: String?
    let originalURL: String?

    enum CodingKeys: String, CodingKey {
        case maskURL = "mask_url", originalURL = "original_url"
    }
}

private struct TrackBody: Encodable {
    let generationID: String

    enum CodingKeys: String, CodingKey {
        case generationID = "generation_id"
    }
}
