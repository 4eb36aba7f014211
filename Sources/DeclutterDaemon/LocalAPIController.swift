import DeclutterAPI
import DeclutterStore
import Foundation
import Hummingbird
import NIOCore

/// The local status API (docs/local-api.md), on loopback and/or a unix socket.
struct LocalAPIController: Sendable {
    let database: AppDatabase
    let submitter: Submitter
    let poller: Poller
    let schedule: PollSchedule
    let metrics: DaemonMetrics
    let watch: GenerationWatch
    let readiness: Readiness
    let now: @Sendable () -> Date

    static let maximumWait = 60.0

    /// Every route of the local API; `OpenAPITests` checks the router's list of them against `openapi.yaml`.
    var endpoints: RouteCollection<LocalContext> {
        let routes = RouteCollection(context: LocalContext.self)
        routes.get("/healthz") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        routes.get("/readyz") { _, _ in try await ready() }
        routes.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        routes.get("/metrics") { _, _ in await metricsText() }
        routes.post("/v1/generations", use: submit)
        routes.get("/v1/generations", use: list)
        routes.get("/v1/generations/{id}", use: show)
        routes.get("/v1/generations/{id}/events", use: events)
        routes.post("/v1/generations/{id}/variations", use: vary)
        routes.post("/v1/generations/{id}/refresh", use: refresh)
        routes.post("/v1/track", use: track)
        routes.get("/v1/projects/{id}", use: project)
        routes.get("/v1/stats") { _, _ in
            try Self.json(.ok, StatsView(try await database.stats(), pollsInFlight: poller.pollsInFlight, now: now()))
        }
        return routes
    }

    private func metricsText() async -> Response {
        if let stats = try? await database.stats() { metrics.record(stats) }
        metrics.pollsInFlight(poller.pollsInFlight)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
    }

    // MARK: - Health

    private func ready() async throws -> Response {
        var problems = readiness.problems
        do { try await database.checkWritable() } catch { problems.append("store not writable: \(error)") }
        guard problems.isEmpty else {
            return try Self.json(.serviceUnavailable, ReadinessView(status: "not_ready", reasons: problems))
        }
        return try Self.json(.ok, ReadinessView(status: "ready", reasons: []))
    }

    // MARK: - Submissions

    private func submit(_ request: Request, _ context: LocalContext) async throws -> Response {
        let body = try await JSONBody.read(request)
        guard let imageURL = try body.url("image_url") else { throw APIError.invalidField("image_url", "is required") }
        let auto = try body.bool("auto")
        let maskURL = try body.url("mask_url")
        guard auto == true || maskURL != nil else {
            throw APIError(.badRequest, code: "invalid_mask", message: "either `auto` must be true or a `mask_url` given")
        }
        let launch = LaunchRequest(imageURL: imageURL, auto: auto, maskURL: maskURL, parent: nil, idempotencyKey: try Self.idempotencyKey(request))
        return try await launched(launch)
    }

    private func vary(_ request: Request, _ context: LocalContext) async throws -> Response {
        let parent = try await generation(context)
        let body = try await JSONBody.read(request, allowEmpty: true)
        guard let original = try body.url("original_url") ?? parent.imageURL else {
            throw APIError.invalidField("original_url", "is required: the parent has no image_url on record")
        }
        let launch = LaunchRequest(imageURL: original, auto: nil, maskURL: try body.url("mask_url"), parent: parent,
                                   idempotencyKey: try Self.idempotencyKey(request))
        return try await launched(launch)
    }

    private func launched(_ launch: LaunchRequest) async throws -> Response {
        do {
            let (record, replayed) = try await submitter.launch(launch)
            var response = try Self.json(.accepted, GenerationView(record))
            if replayed { response.headers[.init("Idempotent-Replayed")!] = "true" }
            return response
        } catch SubmissionRefusal.noPublicBaseURL {
            throw APIError(.serviceUnavailable, code: "no_public_base_url", message: "callbacks.public_base_url is not configured: the service would have no callback URL")
        } catch SubmissionRefusal.parentNotSubmitted {
            throw APIError(.conflict, code: "parent_not_submitted", message: "the parent generation has no upstream generation_id yet")
        } catch StoreError.idempotencyKeyReused(let key) {
            throw APIError(.unprocessableContent, code: "idempotency_key_reused", message: "Idempotency-Key \(key) was first used for a different request")
        }
    }

    private func track(_ request: Request, _ context: LocalContext) async throws -> Response {
        let body = try await JSONBody.read(request)
        guard let generationID = try body.uuid("generation_id") else { throw APIError.invalidField("generation_id", "is required") }
        let (record, created) = try await database.track(generationID: generationID, at: now(), firstPollAt: now())
        if created { poller.wake() }
        return try Self.json(created ? .accepted : .ok, GenerationView(record))
    }

    private func refresh(_ request: Request, _ context: LocalContext) async throws -> Response {
        let generation = try await generation(context)
        guard let row = generation.id, generation.generationID != nil else {
            throw APIError(.conflict, code: "not_pollable", message: "the generation has no upstream generation_id to poll")
        }
        guard let polled = try await poller.pollNow(row: row) else { throw Self.notFound }
        return try Self.json(.ok, GenerationView(polled))
    }

    // MARK: - Reads

    private func list(_ request: Request, _ context: LocalContext) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = GenerationFilter()
        if let status = query["status"].map(String.init) {
            guard let state = GenerationState(rawValue: status.uppercased()) else { throw APIError.invalidField("status", "must be one of \(GenerationState.allCases.map(\.rawValue).joined(separator: ", "))") }
            filter.status = state
        }
        if let project = query["project_id"].map(String.init) {
            guard let id = UUID(uuidString: project) else { throw APIError.invalidField("project_id", "must be a UUID") }
            filter.projectID = id
        }
        if let since = query["since"].map(String.init) {
            guard let date = StoreFormat.date(fromTimestamp: since) ?? ISO8601DateFormatter().date(from: since) else {
                throw APIError.invalidField("since", "must be an ISO-8601 UTC time such as 2026-11-24T10:00:00Z")
            }
            filter.since = date
        }
        let page = try Page(query, defaultLimit: filter.limit)
        filter.before = page.after
        filter.limit = page.limit + 1  // one row more than asked tells whether another page exists
        let rows = try await database.generations(matching: filter)
        let shown = Array(rows.prefix(page.limit))
        let next = rows.count > page.limit ? shown.last?.id.map(String.init) : nil
        return try Self.json(.ok, GenerationListView(generations: shown.map(GenerationView.init), nextCursor: next))
    }

    private func show(_ request: Request, _ context: LocalContext) async throws -> Response {
        var generation = try await generation(context)
        if let wait = request.uri.queryParameters["wait"].map(String.init) {
            guard let seconds = Double(wait), (0...Self.maximumWait).contains(seconds) else {
                throw APIError.invalidField("wait", "must be a number of seconds from 0 to 60")
            }
            generation = try await waitForTerminal(generation, upTo: seconds)
        }
        return try Self.json(.ok, GenerationView(generation))
    }

    /// Holds until the generation is no longer pending, `seconds` pass, or the daemon stops; then answers with
    /// the record as it stands. Refused (503) when `local.max_waiters` requests wait already.
    private func waitForTerminal(_ generation: GenerationRecord, upTo seconds: Double) async throws -> GenerationRecord {
        guard let row = generation.id, generation.status.isPending else { return generation }
        guard let subscription = watch.subscribe(row: row) else {
            throw APIError(.serviceUnavailable, code: "too_many_waiters",
                           message: "\(watch.capacity) requests are waiting already (local.max_waiters); retry shortly",
                           headers: [.retryAfter: "1"])
        }
        defer { watch.end(subscription) }
        let clock = watch.clock
        let deadline = clock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
        var current = generation
        while current.status.isPending, clock.now < deadline, !watch.isStopping {
            watch.rearm(subscription)
            current = try await database.generation(.row(row)) ?? current
            guard current.status.isPending else { break }
            await watch.wait(subscription, until: deadline)
        }
        return try await database.generation(.row(row)) ?? current
    }

    /// One page of the trail, oldest first: at most `limit` events (default 100, at most 500) and, past the
    /// first, no more than `Self.maximumPageBytes` of raw bodies.
    private func events(_ request: Request, _ context: LocalContext) async throws -> Response {
        let generation = try await generation(context)
        let page = try Page(request.uri.queryParameters, defaultLimit: 100)
        let (records, more) = try await database.eventPage(forRow: try generation.requireRow(), after: page.after, limit: page.limit,
                                                           bodyBytes: Self.maximumPageBytes)
        let events = records.map(EventView.init)
        return try Self.json(.ok, EventListView(generationID: generation.generationID.map(StoreFormat.uuid), events: events,
                                                nextCursor: more ? events.last.map { String($0.id) } : nil))
    }

    /// Raw bodies in one events page, beyond its first event.
    static let maximumPageBytes = 1 << 20

    private func project(_ request: Request, _ context: LocalContext) async throws -> Response {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else { throw APIError.invalidField("id", "must be a project UUID") }
        guard let (project, generations) = try await database.projectWithGenerations(id) else {
            throw APIError(.notFound, code: "not_found", message: "no such project")
        }
        return try Self.json(.ok, ProjectView(id: StoreFormat.uuid(project.id), createdAt: StoreFormat.timestamp(project.createdAt),
                                              variationsCount: project.variationsCount, generations: generations.map(GenerationView.init)))
    }

    // MARK: - Helpers

    /// `{id}`: the local id, or the upstream generation UUID.
    private func generation(_ context: LocalContext) async throws -> GenerationRecord {
        let text = context.parameters.get("id") ?? ""
        let locator: GenerationLocator
        if let row = Int64(text), row > 0 {
            locator = .row(row)
        } else if let id = UUID(uuidString: text) {
            locator = .generationID(id)
        } else {
            throw APIError.invalidField("id", "must be a local id or a generation UUID")
        }
        guard let generation = try await database.generation(locator) else { throw Self.notFound }
        return generation
    }

    static let notFound = APIError(.notFound, code: "not_found", message: "no such generation")

    /// `?limit=` (1 to 500) and `?cursor=` (an id from a previous page's `next_cursor`), for every paged route.
    struct Page {
        let limit: Int
        let after: Int64?

        init(_ query: Hummingbird.Parameters, defaultLimit: Int) throws {
            if let text = query["limit"].map(String.init) {
                guard let value = Int(text), (1...500).contains(value) else { throw APIError.invalidField("limit", "must be between 1 and 500") }
                limit = value
            } else {
                limit = defaultLimit
            }
            if let text = query["cursor"].map(String.init) {
                guard let id = Int64(text), id > 0 else { throw APIError.invalidField("cursor", "must be a cursor from a previous page") }
                after = id
            } else {
                after = nil
            }
        }
    }

    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[.init("Idempotency-Key")!] else { return nil }
        guard (1...200).contains(key.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw APIError(.badRequest, code: "invalid_idempotency_key", message: "Idempotency-Key must be 1 to 200 visible ASCII characters")
        }
        return key
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try APIJSON.encode(value))))
    }
}
