import DeclutterAPI
import DeclutterStore
import Foundation
import Hummingbird
import NIOCore

/// The local status API (docs/local-api.md), on loopback and/or a unix socket.
struct LocalAPIController: Sendable {
    let database: any Store
    let submitter: Submitter
    let poller: Poller
    let schedule: PollSchedule
    let metrics: DaemonMetrics
    let watch: GenerationWatch
    let readiness: Readiness
    let streams: EventStreams
    /// Where archived images and uploads are kept: the file routes serve them from there.
    let archive: ArchiveDirectory
    /// The archive folder with the store: files fetched from, and kept in, a store that holds their contents.
    var copies: ArchiveCopies { ArchiveCopies(store: database, directory: archive) }
    /// Reads photos sent as files into the archive.
    let uploads: UploadReader
    let now: @Sendable () -> Date

    static let maximumWait = 60.0

    /// Every route of the local API; `OpenAPITests` checks the router's list of them against `openapi.yaml`.
    var endpoints: RouteCollection<LocalContext> {
        let routes = RouteCollection(context: LocalContext.self)
        routes.get("/healthz") { _, _ in Response.healthy }
        routes.get("/readyz") { _, _ in try await ready() }
        routes.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        routes.get("/metrics") { _, _ in await metricsText() }
        routes.post("/v1/generations", use: submit)
        routes.get("/v1/generations", use: list)
        routes.get("/v1/generations/{id}", use: show)
        routes.get("/v1/generations/{id}/events", use: events)
        routes.get("/v1/generations/{id}/images/{n}", use: image)
        routes.get("/v1/generations/{id}/inputs/{role}", use: input)
        routes.post("/v1/generations/{id}/variations", use: vary)
        routes.post("/v1/generations/{id}/refresh", use: refresh)
        routes.post("/v1/track", use: track)
        routes.get("/v1/projects/{id}", use: project)
        routes.get("/v1/events", use: eventStream)
        routes.get("/v1/stats") { _, _ in
            try Self.json(.ok, StatsView(try await database.stats(), keys: try await database.keys(at: now()), pollsInFlight: poller.pollsInFlight,
                                         now: now()))
        }
        return routes
    }

    private func metricsText() async -> Response {
        if let stats = try? await database.stats() { metrics.record(stats) }
        if let stats = try? await database.deliveryStats() { metrics.record(stats, now: now()) }
        // Revoked keys spend nothing more: their series stay where they were.
        if let keys = try? await database.keys(at: now()) { metrics.record(keys.filter { $0.key.revokedAt == nil }) }
        metrics.record(database.writeTotals, synchronous: database.synchronous)
        metrics.pollsInFlight(poller.pollsInFlight)
        metrics.eventStreamsOpen(streams.openCount)
        if let counts = try? await database.archiveCounts() { metrics.record(counts, writable: await readiness.archive?.problem() == nil) }
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
    }

    // MARK: - Health

    private func ready() async throws -> Response {
        var problems = await readiness.problems()
        do { try await database.checkWritable() } catch { problems.append("store not writable: \(error)") }
        guard problems.isEmpty else {
            return try Self.json(.serviceUnavailable, ReadinessView(status: "not_ready", reasons: problems))
        }
        return try Self.json(.ok, ReadinessView(status: "ready", reasons: []))
    }

    // MARK: - Submissions

    private func submit(_ request: Request, _ context: LocalContext) async throws -> Response {
        // `?auto` and `?mask_url` go with a photo sent as the body; a wrong one is refused whatever the body.
        let queryOptions = try UploadReader.QueryOptions(request)
        if let upload = request.headers[.contentType].flatMap(UploadMediaType.init(contentType:)) {
            return try await submitUpload(request, as: upload, options: queryOptions, keyName: context.identity?.keyName)
        }
        let body = try await JSONBody.read(request)
        guard let imageURL = try body.url(.imageURL) else { throw APIError.invalidField(.imageURL, "is required") }
        let auto = try body.bool(.auto)
        let maskURL = try body.url(.maskURL)
        guard auto == true || maskURL != nil else {
            throw APIError(.badRequest, code: .invalidMask, message: "either `auto` must be true or a `mask_url` given")
        }
        let launch = LaunchRequest(imageURL: imageURL, auto: auto, maskURL: maskURL, parent: nil, idempotencyKey: try Self.idempotencyKey(request),
                                   keyName: context.identity?.keyName)
        return try await launched(launch)
    }

    private func vary(_ request: Request, _ context: LocalContext) async throws -> Response {
        let parent = try await generation(context)
        let body = try await JSONBody.read(request, allowEmpty: true)
        // A tracked parent has no image on record: the request is fine, the parent cannot serve it (409, not 400).
        guard let original = try body.url(.originalURL) ?? parent.imageURL else {
            throw APIError(.conflict, code: .parentHasNoImageURL,
                           message: "the parent generation has no image_url on record (it was tracked): give original_url")
        }
        let launch = LaunchRequest(imageURL: original, auto: nil, maskURL: try body.url(.maskURL), parent: parent,
                                   idempotencyKey: try Self.idempotencyKey(request), inputs: try await reusedInputs(original: original),
                                   keyName: context.identity?.keyName)
        return try await launched(launch)
    }

    private func launched(_ launch: LaunchRequest) async throws -> Response {
        try await answeringRefusals {
            let (record, replayed) = try await submitter.launch(launch)
            return try await accepted(record, replayed: replayed)
        }
    }

    /// 202 with the record; a replay says so in `Idempotent-Replayed`.
    func accepted(_ record: GenerationRecord, replayed: Bool) async throws -> Response {
        var response = try Self.json(.accepted, try await view(of: record))
        if replayed { response.headers[.init("Idempotent-Replayed")!] = "true" }
        return response
    }

    /// Runs a launch, answering the submitter's refusals with their documented errors.
    func answeringRefusals(_ launch: () async throws -> Response) async throws -> Response {
        do {
            return try await launch()
        } catch SubmissionRefusal.noPublicBaseURL {
            throw APIError(.serviceUnavailable, code: .noPublicBaseURL, message: "callbacks.public_base_url is not configured: the service would have no callback URL")
        } catch SubmissionRefusal.storeUnavailable(let sent) {
            throw APIError(.serviceUnavailable, code: .storeUnavailable, message: sent
                ? "the service accepted the generation but the store could not record its answer (the daemon's log says why); it is "
                    + "kept as SUBMITTING and its callback is applied once the store can write: retry with the same Idempotency-Key to see it"
                : "the store could not record the submission (the daemon's log says why); nothing was sent to the service: retry later")
        } catch SubmissionRefusal.parentNotSubmitted {
            throw APIError(.conflict, code: .parentNotSubmitted, message: "the parent generation has no upstream generation_id yet")
        } catch StoreError.idempotencyKeyReused(let key) {
            throw APIError(.unprocessableContent, code: .idempotencyKeyReused, message: "Idempotency-Key \(key) was first used for a different request")
        } catch let StoreError.budgetExhausted(key, budget, used, resetsAt) {
            throw APIError.budgetExhausted(key: key, budget: budget, used: used, resetsAt: resetsAt, now: now())
        }
    }

    private func track(_ request: Request, _ context: LocalContext) async throws -> Response {
        let body = try await JSONBody.read(request)
        guard let generationID = try body.uuid(.generationID) else { throw APIError.invalidField(.generationID, "is required") }
        let (record, created) = try await database.track(generationID: generationID, at: now(), firstPollAt: now())
        if created { poller.wake() }
        return try Self.json(created ? .accepted : .ok, try await view(of: record))
    }

    private func refresh(_ request: Request, _ context: LocalContext) async throws -> Response {
        let generation = try await generation(context)
        guard let row = generation.id, generation.generationID != nil else {
            throw APIError(.conflict, code: .notPollable, message: "the generation has no upstream generation_id to poll")
        }
        guard let polled = try await poller.pollNow(row: row) else { throw Self.notFound }
        return try Self.json(.ok, try await view(of: polled))
    }

    // MARK: - Helpers

    /// One generation as its own answer shows it: with its archived images and uploaded inputs.
    func view(of record: GenerationRecord) async throws -> GenerationView {
        guard let row = record.id else { return GenerationView(record, files: GenerationFiles()) }
        return GenerationView(record, files: try await database.files(ofRow: row))
    }

    /// `{id}`: the local id, or the upstream generation UUID.
    func generation(_ context: LocalContext) async throws -> GenerationRecord {
        guard let generation = try await database.generation(try Self.locator(context.parameters.get("id") ?? "", field: .id)) else {
            throw Self.notFound
        }
        return generation
    }

    /// A generation named as `{id}` and `?generation_id=` name it: the local id, or the upstream generation UUID.
    static func locator(_ text: String, field: RequestField) throws -> GenerationLocator {
        if let row = Int64(text), row > 0 { return .row(row) }
        if let id = UUID(uuidString: text) { return .generationID(id) }
        throw APIError.invalidField(field, "must be a local id or a generation UUID")
    }

    static let notFound = APIError(.notFound, code: .notFound, message: "no such generation")

    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[.init("Idempotency-Key")!] else { return nil }
        guard isValidIdempotencyKey(key) else {
            throw APIError(.badRequest, code: .invalidIdempotencyKey, message: "Idempotency-Key must be 1 to 200 visible ASCII characters")
        }
        return key
    }

    /// Exactly the documented `^[!-~]+$`, 1 to 200 long: no control character (DEL included), no space, nothing non-ASCII.
    static func isValidIdempotencyKey(_ key: String) -> Bool {
        (1...200).contains(key.utf8.count) && key.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try APIJSON.encode(value))))
    }
}
