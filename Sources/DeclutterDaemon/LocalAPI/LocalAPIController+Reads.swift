import DeclutterAPI
import DeclutterStore
import Foundation
import Hummingbird

// MARK: - Reads: lists, one record (with ?wait=), its events, a project

extension LocalAPIController {

    func list(_ request: Request, _ context: LocalContext) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = GenerationFilter()
        if let status = query["status"].map(String.init) {
            guard let state = GenerationState(rawValue: status.uppercased()) else { throw APIError.invalidField(.status, "must be one of \(GenerationState.allCases.map(\.rawValue).joined(separator: ", "))") }
            filter.status = state
        }
        if let project = query["project_id"].map(String.init) {
            guard let id = UUID(uuidString: project) else { throw APIError.invalidField(.projectID, "must be a UUID") }
            filter.projectID = id
        }
        if let since = query["since"].map(String.init) {
            guard let date = RFC3339.date(since) else {
                throw APIError.invalidField(.since, "must be an RFC 3339 time such as 2026-11-24T10:00:00Z or 2026-11-24T11:00:00.5+01:00")
            }
            filter.since = date
        }
        if let key = query["key"].map(String.init) {
            guard KeyRules.isValidName(key) else { throw APIError.invalidField(.key, "must be a key's name: " + KeyRules.nameRule) }
            filter.key = key
        }
        let page = try Page(query, defaultLimit: filter.limit)
        filter.before = page.after
        filter.limit = page.limit + 1  // one row more than asked tells whether another page exists
        let rows = try await database.generations(matching: filter)
        let shown = Array(rows.prefix(page.limit))
        let next = rows.count > page.limit ? shown.last?.id.map(String.init) : nil
        return try Self.json(.ok, GenerationListView(generations: shown.map { GenerationView($0) }, nextCursor: next))
    }

    func show(_ request: Request, _ context: LocalContext) async throws -> Response {
        var generation = try await generation(context)
        if let wait = request.uri.queryParameters["wait"].map(String.init) {
            guard let seconds = Double(wait), (0...Self.maximumWait).contains(seconds) else {
                throw APIError.invalidField(.wait, "must be a number of seconds from 0 to 60")
            }
            generation = try await waitForTerminal(generation, upTo: seconds)
        }
        return try Self.json(.ok, try await view(of: generation))
    }

    /// Holds until the generation is no longer pending, `seconds` pass, or the daemon stops; then answers with
    /// the record as it stands. Refused (503) when `local.max_waiters` requests wait already.
    private func waitForTerminal(_ generation: GenerationRecord, upTo seconds: Double) async throws -> GenerationRecord {
        guard let row = generation.id, generation.status.isPending else { return generation }
        guard let subscription = watch.subscribe(row: row) else {
            throw APIError(.serviceUnavailable, code: .tooManyWaiters,
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
    func events(_ request: Request, _ context: LocalContext) async throws -> Response {
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

    func project(_ request: Request, _ context: LocalContext) async throws -> Response {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else { throw APIError.invalidField(.id, "must be a project UUID") }
        guard let (project, generations) = try await database.projectWithGenerations(id) else {
            throw APIError(.notFound, code: .notFound, message: "no such project")
        }
        return try Self.json(.ok, ProjectView(id: StoreFormat.uuid(project.id), createdAt: StoreFormat.timestamp(project.createdAt),
                                              variationsCount: project.variationsCount, generations: generations.map { GenerationView($0) }))
    }

    /// `?limit=` (1 to 500) and `?cursor=` (an id from a previous page's `next_cursor`), for every paged route.
    struct Page {
        let limit: Int
        let after: Int64?

        init(_ query: Hummingbird.Parameters, defaultLimit: Int) throws {
            if let text = query["limit"].map(String.init) {
                guard let value = Int(text), (1...500).contains(value) else { throw APIError.invalidField(.limit, "must be between 1 and 500") }
                limit = value
            } else {
                limit = defaultLimit
            }
            if let text = query["cursor"].map(String.init) {
                // The documented `^[1-9][0-9]*$`: a position among the local ids. One past every id there can
                // be (beyond Int64) is still a position, the same as the largest.
                guard let first = text.utf8.first, (0x31...0x39).contains(first), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                    throw APIError.invalidField(.cursor, "must be a cursor from a previous page")
                }
                after = Int64(text) ?? Int64.max
            } else {
                after = nil
            }
        }
    }
}
