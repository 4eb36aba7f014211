import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Where the Decluttering API is and who is calling it.
public struct DeclutterClientConfiguration: Sendable {
    public var baseURL: String
    public var userID: UUID
    /// Sent as `x-api-key`; never logged, never part of an error.
    public var apiKey: String
    public var requestTimeout: Duration
    /// Retries of `get` (idempotent): 429, 5xx, connection failures, timeouts.
    public var retrievalRetry: RetryPolicy
    /// Retries of the photo-spending calls: only while the service is unreachable.
    public var submissionRetry: RetryPolicy

    public init(baseURL: String, userID: UUID, apiKey: String, requestTimeout: Duration = .seconds(30),
                retrievalRetry: RetryPolicy = RetryPolicy(), submissionRetry: RetryPolicy = RetryPolicy(maxAttempts: 3)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.userID = userID
        self.apiKey = apiKey
        self.requestTimeout = requestTimeout
        self.retrievalRetry = retrievalRetry
        self.submissionRetry = submissionRetry
    }
}

extension DeclutterClientConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Everything but the key, so that no log line or dump can carry it.
    public var description: String {
        "DeclutterClientConfiguration(baseURL: \(baseURL), userID: \(userID.lowercaseString), apiKey: <redacted>, "
            + "requestTimeout: \(requestTimeout))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["baseURL": baseURL, "userID": userID, "apiKey": "<redacted>", "requestTimeout": requestTimeout])
    }
}

/// The answer of a retrieval call: the raw body is kept whether or not it follows the rules.
public struct RetrievalAnswer: Sendable {
    public let httpStatus: Int
    public let rawBody: Data
    public let payload: Result<RetrievalPayload, PayloadViolation>
}

/// The Decluttering API over HTTP.
public struct DeclutterClient: Sendable {
    public let configuration: DeclutterClientConfiguration
    let httpClient: HTTPClient
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void
    static let maximumResponseSize = 1 << 20

    public init(configuration: DeclutterClientConfiguration, httpClient: HTTPClient = DeclutterClient.sharedHTTPClient,
                logger: Logger = Logger(label: "declutterd.upstream"),
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
        self.sleep = sleep
    }

    /// Launches a generation (spends a photo). Retried only while the service is unreachable.
    public func generate(imageURL: String, auto: Bool?, maskURL: String?, webhook: String?) async throws(UpstreamError) -> GenerateResponse {
        let request = GenerateRequest(userID: configuration.userID, imageURL: imageURL, auto: auto, maskURL: maskURL, webhook: webhook)
        return try await spendingCall(.generate, request, answer: GenerateResponse.self)
    }

    /// Launches a variation of `generationID` (may spend a photo). Retried only while the service is unreachable.
    public func generateVariation(of generationID: UUID, originalURL: String, maskURL: String?, webhook: String?) async throws(UpstreamError) -> GenerateVariationResponse {
        let request = GenerateVariationRequest(userID: configuration.userID, generationID: generationID,
                                               originalURL: originalURL, maskURL: maskURL, webhook: webhook)
        return try await spendingCall(.generateVariation, request, answer: GenerateVariationResponse.self)
    }

    /// Asks for the state of `generationID`, retrying 429 (after Retry-After), 5xx, timeouts and connection failures.
    public func retrieve(_ generationID: UUID) async throws(UpstreamError) -> RetrievalAnswer {
        let body = try encode(RetrievalRequest(userID: configuration.userID, generationID: generationID))
        let (status, data) = try await withRetries(configuration.retrievalRetry, endpoint: .get) { () throws(UpstreamError) in
            try await post(.get, body: body)
        }
        let payload = RetrievalPayloadValidator.validate(data, expectedGenerationID: generationID)
        return RetrievalAnswer(httpStatus: status, rawBody: data, payload: payload)
    }

    /// An HTTP client that reports a refused connection at once (AsyncHTTPClient's own pool would retry
    /// it until the deadline), so that `unreachable` is known quickly and retried by `RetryPolicy`.
    public static func makeHTTPClient(connectTimeout: Duration = .seconds(5)) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .milliseconds(Int64(connectTimeout.seconds * 1000))
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// One process-wide client built by `makeHTTPClient`, never shut down (like `HTTPClient.shared`).
    public static let sharedHTTPClient = makeHTTPClient()

    // MARK: - Plumbing

    private func spendingCall<Answer: RawAnswer>(_ endpoint: Endpoint, _ request: some Encodable, answer: Answer.Type) async throws(UpstreamError) -> Answer {
        let body = try encode(request)
        do throws(UpstreamError) {
            let (_, data) = try await withRetries(configuration.submissionRetry, endpoint: endpoint, retryingOnly: [.unreachable]) { () throws(UpstreamError) in
                try await post(endpoint, body: body)
            }
            guard var decoded = try? WireFormat.decode(answer, from: data) else {
                throw UpstreamError(.invalidResponse, httpStatus: 200, message: "the answer of \(endpoint.rawValue) does not decode: \(Self.excerpt(data))")
            }
            decoded.rawBody = data
            return decoded
        } catch {
            throw error.asSpendingCallFailure()
        }
    }

    private func withRetries<T>(_ policy: RetryPolicy, endpoint: Endpoint, retryingOnly kinds: Set<UpstreamError.Kind>? = nil,
                                _ call: () async throws(UpstreamError) -> T) async throws(UpstreamError) -> T {
        var attempt = 1
        while true {
            do {
                return try await call()
            } catch {
                let retryable = kinds.map { $0.contains(error.kind) } ?? Self.isRetryable(error)
                guard retryable, let delay = policy.delay(afterAttempt: attempt, retryAfter: error.retryAfter) else { throw error }
                logger.debug("retrying upstream call", metadata: [
                    "endpoint": "\(endpoint.rawValue)", "attempt": "\(attempt)", "error": "\(error)", "delay_ms": "\(Int(delay.seconds * 1000))",
                ])
                do { try await sleep(delay) } catch { throw UpstreamError(.transport, message: "cancelled while waiting to retry") }
                attempt += 1
            }
        }
    }

    static func isRetryable(_ error: UpstreamError) -> Bool {
        switch error.kind {
        case .unreachable, .transport, .serverError: true
        case .rejected: error.httpStatus == 429 || error.httpStatus == 503
        case .outcomeUnknown, .invalidResponse: false
        }
    }

    /// One POST; a non-2xx answer becomes an `UpstreamError`.
    private func post(_ endpoint: Endpoint, body: Data) async throws(UpstreamError) -> (Int, Data) {
        var request = HTTPClientRequest(url: configuration.baseURL + endpoint.rawValue)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "accept", value: "application/json")
        request.headers.add(name: "x-api-key", value: configuration.apiKey)
        request.body = .bytes(ByteBuffer(data: body))
        let status: Int
        let headers: HTTPHeaders
        let data: Data
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(Int64(configuration.requestTimeout.seconds * 1e9)), logger: logger)
            status = Int(response.status.code)
            headers = response.headers
            data = Data(buffer: try await response.body.collect(upTo: Self.maximumResponseSize))
        } catch {
            throw Self.classify(error, endpoint: endpoint)
        }
        guard !(200..<300).contains(status) else { return (status, data) }
        let retryAfter = headers.first(name: "retry-after").flatMap { RetryAfter.parse($0) }
        let kind: UpstreamError.Kind = (400..<500).contains(status) || status == 503 ? .rejected : .serverError
        throw UpstreamError(kind, httpStatus: status, retryAfter: retryAfter, message: "\(endpoint.rawValue) answered \(Self.excerpt(data))")
    }

    private func encode(_ value: some Encodable) throws(UpstreamError) -> Data {
        do { return try WireFormat.encode(value) } catch {
            throw UpstreamError(.invalidResponse, message: "could not encode the request: \(error)")
        }
    }

    /// Transport failures: a connection that never opened is `unreachable`; anything later is `transport`.
    static func classify(_ error: any Error, endpoint: Endpoint) -> UpstreamError {
        if let error = error as? UpstreamError { return error }
        let text = String(describing: error)
        if ConnectionFailure.isConnectFailure(error) {
            return UpstreamError(.unreachable, message: "\(endpoint.rawValue) could not be reached: \(text)")
        }
        return UpstreamError(.transport, message: "\(endpoint.rawValue) failed after sending: \(text)")
    }

    /// The start of a body, for error messages; a callback URL the service might echo loses its token.
    static func excerpt(_ data: Data) -> String {
        let text = String(decoding: data.prefix(200), as: UTF8.self)
        return text.isEmpty ? "(empty body)" : withoutCallbackTokens(text)
    }

    /// `…/callbacks/<token>` becomes `…/callbacks/…`, and `…/inputs/<token>.png` becomes `…/inputs/….png`: tokens
    /// are capabilities and stay out of logs.
    static func withoutCallbackTokens(_ text: String) -> String {
        ["/callbacks/", "/inputs/"].reduce(text) { text, marker in
            var result = ""
            var rest = Substring(text)
            while let range = rest.range(of: marker) {
                result += rest[..<range.upperBound] + "…"
                rest = rest[range.upperBound...].drop { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
            }
            return result + rest
        }
    }
}
