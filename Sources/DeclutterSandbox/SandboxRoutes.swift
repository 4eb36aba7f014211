import DeclutterAPI
import Foundation
import Hummingbird
import NIOCore

/// The three upstream endpoints, faithfully: key and user checks, quota, projects, faults.
struct SandboxRoutes: Sendable {
    let state: SandboxState
    let lifecycle: GenerationLifecycle
    let inputs: InputFetcher

    func register(on router: Router<BasicRequestContext>) {
        router.post(RouterPath(Endpoint.generate.rawValue)) { request, _ in
            try await handle(request, .generate, counting: \.generateCalls) { (body: GenerateRequest) in
                await state.count { $0.generateImageURLs.append(body.imageURL) }
                guard body.auto == true || body.maskURL != nil else { throw SandboxError.badRequest("either auto=true or mask_url is required") }
                try requireImageURL(body.imageURL, name: "image_url")
                let input = try await inputs.fetchIfAsked(body.imageURL, field: "image_url")
                return try await launch(webhook: body.webhook, variationOf: nil, input: input.map { ("image_url", body.imageURL, $0) })
            }
        }
        router.post(RouterPath(Endpoint.generateVariation.rawValue)) { request, _ in
            try await handle(request, .generateVariation, counting: \.variationCalls) { (body: GenerateVariationRequest) in
                try requireImageURL(body.originalURL, name: "original_url")
                let input = try await inputs.fetchIfAsked(body.originalURL, field: "original_url")
                let webhook = state.configuration.variationCallbacks ? body.webhook : nil
                return try await launch(webhook: webhook, variationOf: body.generationID, input: input.map { ("original_url", body.originalURL, $0) })
            }
        }
        router.post(RouterPath(Endpoint.get.rawValue)) { request, _ in
            try await handle(request, .get, counting: \.retrievalCalls) { (body: RetrievalRequest) in
                await state.recordRetrieval(of: body.generationID)
                let delay = state.configuration.retrievalDelay
                if delay > .zero {
                    await state.retrievalBegan(of: body.generationID)
                    try? await Task.sleep(for: delay)
                    await state.retrievalEnded(of: body.generationID)
                }
                guard let generation = await state.generation(body.generationID) else {
                    throw SandboxError.notFound("unknown generation_id")
                }
                return await state.payload(of: generation).encoded()
            }
        }
        router.get("/sandbox/counters") { _, _ in
            let data = try WireFormat.encode(await state.counters)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// `input`: the photo fetched for it, if the sandbox fetches inputs.
    private func launch(webhook: String?, variationOf parent: UUID?,
                        input: (field: String, url: String, fetched: (sha256: String, bytes: Int))? = nil) async throws -> Data {
        do {
            let (generation, remaining) = try await state.createGeneration(webhook: webhook, variationOf: parent)
            if let input {
                let fetched = FetchedInput(generationID: generation.id.lowercaseString, field: input.field, url: input.url,
                                           sha256: input.fetched.sha256, bytes: input.fetched.bytes)
                await state.count { $0.inputsFetched.append(fetched) }
            }
            if state.configuration.callbackBeforeAnswer, generation.webhook != nil {
                // The first callback is delivered (and answered) before the generate response leaves.
                let progress = await lifecycle.progress(generation)
                Task { if let progress { await lifecycle.complete(generation, after: progress) } }
            } else {
                Task { await lifecycle.run(generation) }
            }
            if parent == nil {
                return try WireFormat.encode(GenerateResponse(generationID: generation.id, remainingPhotos: remaining, projectID: generation.projectID))
            }
            return try WireFormat.encode(GenerateVariationResponse(generationID: generation.id, remainingPhotos: remaining))
        } catch SandboxRefusal.quotaExhausted {
            throw SandboxError.badRequest("no photos remaining")
        } catch SandboxRefusal.unknownGeneration {
            throw SandboxError.badRequest("unknown generation_id: a variation needs a previous generation of this account")
        }
    }

    /// Key check, injected faults, body decoding and the user check, in the service's order.
    private func handle<Body: Decodable & Sendable & UserScoped>(
        _ request: Request, _ endpoint: Endpoint, counting counter: WritableKeyPath<SandboxCounters, Int> & Sendable,
        _ answer: @Sendable (Body) async throws -> Data
    ) async throws -> Response {
        await state.count { $0[keyPath: counter] += 1 }
        do {
            guard request.headers[.init("x-api-key")!] == state.configuration.apiKey else {
                throw SandboxError.unauthorized("missing or invalid x-api-key")
            }
            if state.configuration.faults.faultyEndpoints.contains(endpoint), let fault = await state.drawCallFault() {
                if let response = try await inject(fault) { return response }
            }
            let data = Data(buffer: try await request.body.collect(upTo: 1 << 20))
            let body: Body
            do { body = try WireFormat.decode(Body.self, from: data) } catch {
                throw SandboxError.badRequest("invalid parameters: \(Self.describe(error))")
            }
            guard body.userID == state.configuration.userID else { throw SandboxError.unauthorized("the key does not belong to this user_id") }
            return Self.json(.ok, try await answer(body))
        } catch let error as SandboxError {
            await state.count { counters in
                switch error {
                case .unauthorized: counters.unauthorized += 1
                case .badRequest, .notFound: counters.badRequests += 1
                }
            }
            return Self.json(error.status, Data(#"{"error":"\#(error.message)"}"#.utf8))
        }
    }

    /// Answers a faulty call; a timeout only delays the real answer.
    private func inject(_ fault: InjectedFault) async throws -> Response? {
        switch fault {
        case .rateLimited:
            await state.count { $0.rateLimited += 1 }
            var response = Self.json(.tooManyRequests, Data(#"{"error":"rate limited"}"#.utf8))
            response.headers[.retryAfter] = state.configuration.faults.retryAfter
            return response
        case .serverError:
            await state.count { $0.serverErrors += 1 }
            return Self.json(.internalServerError, Data(#"{"error":"internal error"}"#.utf8))
        case .unavailable:
            await state.count { $0.unavailable += 1 }
            return Self.json(.serviceUnavailable, Data(#"{"error":"temporarily unavailable"}"#.utf8))
        case .timeout:
            await state.count { $0.timeouts += 1 }
            if let gate = state.configuration.faults.hangGate { await gate.pass() } else { try await Task.sleep(for: state.configuration.faults.hang) }
            return nil
        }
    }

    private func requireImageURL(_ url: String, name: String) throws {
        let path = url.split(separator: "?").first.map(String.init)?.lowercased() ?? ""
        guard RetrievalPayloadValidator.isAbsoluteHTTPURL(url), [".jpg", ".jpeg", ".png"].contains(where: path.hasSuffix) else {
            throw SandboxError.badRequest("\(name) must be an http(s) URL of a jpg or png image")
        }
    }

    static func json(_ status: HTTPResponse.Status, _ body: Data) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            context.codingPath.map(\.stringValue).joined(separator: ".").nilIfEmpty.map { "bad \($0)" } ?? "not a JSON object"
        default: "not a JSON object"
        }
    }
}

/// A refusal the sandbox answers with.
enum SandboxError: Error {
    case badRequest(String), unauthorized(String), notFound(String)

    var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .notFound: .notFound
        }
    }

    var message: String {
        switch self {
        case .badRequest(let message), .unauthorized(let message), .notFound(let message): message
        }
    }
}

/// Requests that carry the account's user id.
protocol UserScoped {
    var userID: UUID { get }
}

extension GenerateRequest: UserScoped {}
extension GenerateVariationRequest: UserScoped {}
extension RetrievalRequest: UserScoped {}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
