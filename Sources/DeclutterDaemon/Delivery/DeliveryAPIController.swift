import DeclutterAPI
import DeclutterStore
import Foundation
import Hummingbird

/// The local API's delivery routes (docs/delivery.md): webhook endpoints, their deliveries, redelivery and
/// recovery. Every write commits through the group commit, which wakes the delivery worker.
struct DeliveryAPIController: Sendable {
    let database: any Store
    /// After a rotation, the previous secret signs too for this long (`DeliveryConfiguration.secretOverlap`).
    let secretOverlap: Duration
    let now: @Sendable () -> Date

    /// An admin surface, still bounded: endpoints at most, and the longest description (in Unicode scalars,
    /// as JSON Schema's `maxLength` counts).
    static let maximumEndpoints = 100
    static let maximumDescriptionLength = 500

    var endpoints: RouteCollection<LocalContext> {
        let routes = RouteCollection(context: LocalContext.self)
        routes.post("/v1/endpoints", use: createEndpoint)
        routes.get("/v1/endpoints", use: listEndpoints)
        routes.get("/v1/endpoints/{id}", use: showEndpoint)
        routes.patch("/v1/endpoints/{id}", use: updateEndpoint)
        routes.delete("/v1/endpoints/{id}", use: deleteEndpoint)
        routes.post("/v1/endpoints/{id}/enable") { _, context in try await setEnabled(true, context) }
        routes.post("/v1/endpoints/{id}/disable") { _, context in try await setEnabled(false, context) }
        routes.post("/v1/endpoints/{id}/rotate-secret", use: rotateSecret)
        routes.post("/v1/endpoints/{id}/recover", use: recover)
        routes.get("/v1/deliveries", use: listDeliveries)
        routes.get("/v1/deliveries/{id}", use: showDelivery)
        routes.post("/v1/messages/{id}/redeliver", use: redeliver)
        return routes
    }

    // MARK: - Endpoints

    private func createEndpoint(_ request: Request, _ context: LocalContext) async throws -> Response {
        let body = try await JSONBody.read(request)
        guard let url = try body.url(.url) else { throw APIError.invalidField(.url, "is required: an absolute http(s) URL") }
        let date = now()
        let record = EndpointRecord(url: url, description: try Self.description(body) ?? nil, types: try Self.types(body) ?? nil,
                                    secret: WebhookSecret.generate(), createdAt: date)
        guard let created = try await database.createEndpoint(record, limit: Self.maximumEndpoints) else {
            throw APIError(.conflict, code: .tooManyEndpoints,
                           message: "at most \(Self.maximumEndpoints) endpoints can be registered: remove one first")
        }
        context.logger.info("endpoint added", metadata: ["endpoint": "\(created.id ?? 0)", "url": "\(created.url)"])
        return try LocalAPIController.json(.created, EndpointSecretView(created, now: date))
    }

    private func listEndpoints(_ request: Request, _ context: LocalContext) async throws -> Response {
        let date = now()
        return try LocalAPIController.json(.ok, EndpointListView(endpoints: try await database.endpoints().map { EndpointView($0, now: date) }))
    }

    private func showEndpoint(_ request: Request, _ context: LocalContext) async throws -> Response {
        let id = try Self.pathID(context)
        guard let endpoint = try await database.endpoint(id) else { throw Self.noEndpoint }
        return try LocalAPIController.json(.ok, EndpointView(endpoint, now: now()))
    }

    /// Absent fields stay as they are; `description: null` clears it, `types: null` takes every type.
    private func updateEndpoint(_ request: Request, _ context: LocalContext) async throws -> Response {
        let id = try Self.pathID(context)
        let body = try await JSONBody.read(request)
        if body.object["url"] == .null { throw APIError.invalidField(.url, "must be an absolute http(s) URL") }
        let edit = EndpointEdit(url: try body.url(.url), description: try Self.description(body), types: try Self.types(body))
        let date = now()
        guard let endpoint = try await database.editEndpoint(id, edit, at: date) else { throw Self.noEndpoint }
        context.logger.info("endpoint updated", metadata: ["endpoint": "\(id)", "url": "\(endpoint.url)"])
        return try LocalAPIController.json(.ok, EndpointView(endpoint, now: date))
    }

    private func deleteEndpoint(_ request: Request, _ context: LocalContext) async throws -> Response {
        let id = try Self.pathID(context)
        guard try await database.deleteEndpoint(id) else { throw Self.noEndpoint }
        context.logger.info("endpoint removed", metadata: ["endpoint": "\(id)"])
        return Response(status: .noContent)
    }

    /// Enabling clears the failure record; the deliveries that waited go out.
    private func setEnabled(_ enabled: Bool, _ context: LocalContext) async throws -> Response {
        let id = try Self.pathID(context)
        let date = now()
        guard let endpoint = try await database.setEndpointEnabled(id, enabled, reason: enabled ? nil : "disabled by an operator", at: date) else {
            throw Self.noEndpoint
        }
        context.logger.info(enabled ? "endpoint enabled" : "endpoint disabled", metadata: ["endpoint": "\(id)"])
        return try LocalAPIController.json(.ok, EndpointView(endpoint, now: date))
    }

    private func rotateSecret(_ request: Request, _ context: LocalContext) async throws -> Response {
        let id = try Self.pathID(context)
        let date = now()
        let overlapUntil = date + Double(secretOverlap.milliseconds) / 1000
        guard let endpoint = try await database.rotateSecret(of: id, to: WebhookSecret.generate(), overlapUntil: overlapUntil, at: date) else {
            throw Self.noEndpoint
        }
        // The secret itself is never logged.
        context.logger.info("endpoint secret rotated", metadata: ["endpoint": "\(id)", "previous_until": "\(StoreFormat.timestamp(overlapUntil))"])
        return try LocalAPIController.json(.ok, EndpointSecretView(endpoint, now: date))
    }

    /// Replays the endpoint's failed deliveries of the messages written since `since`.
    private func recover(_ request: Request, _ context: LocalContext) async throws -> Response {
        let id = try Self.pathID(context)
        let body = try await JSONBody.read(request)
        let date = now()
        guard let text = try body.string(.since) else { throw APIError.invalidField(.since, "is required: \(SinceText.rule)") }
        guard let since = SinceText.date(text, now: date) else { throw APIError.invalidField(.since, "must be \(SinceText.rule)") }
        guard let queued = try await database.recover(endpoint: id, since: since, at: date) else { throw Self.noEndpoint }
        context.logger.info("failed deliveries queued again", metadata: ["endpoint": "\(id)", "since": "\(StoreFormat.timestamp(since))", "queued": "\(queued)"])
        return try LocalAPIController.json(.accepted, QueuedView(queued: queued))
    }

    // MARK: - Request parts

    /// `description`: absent → nil; null or empty → `.some(nil)`.
    static func description(_ body: JSONBody) throws -> String?? {
        guard body.object["description"] != nil else { return nil }
        guard let text = try body.string(.description), !text.isEmpty else { return .some(nil) }
        guard text.unicodeScalars.count <= maximumDescriptionLength else {
            throw APIError.invalidField(.description, "must be at most \(maximumDescriptionLength) characters")
        }
        return .some(text)
    }

    /// `types`: absent → nil; null → `.some(nil)` (every type); else a non-empty array of distinct known types.
    static func types(_ body: JSONBody) throws -> [MessageType]?? {
        switch body.object["types"] {
        case nil: return nil
        case .null?: return .some(nil)
        case .array(let items)? where !items.isEmpty:
            var types: [MessageType] = []
            for item in items {
                guard case .string(let name) = item, let type = MessageType(rawValue: name), !types.contains(type) else { break }
                types.append(type)
            }
            if types.count == items.count { return .some(types) }
        default: break
        }
        throw APIError.invalidField(.types, "must be null (every type) or a non-empty array of distinct message types: "
            + MessageType.allCases.map(\.rawValue).joined(separator: ", "))
    }

    /// `{id}` of an endpoint, a delivery or a message: a positive 64-bit integer (the document's `maximum`).
    static func pathID(_ context: LocalContext) throws -> Int64 {
        guard let id = positiveInteger(context.parameters.get("id") ?? "") else { throw APIError.invalidField(.id, "must be a positive integer") }
        return id
    }

    static func positiveInteger(_ text: String) -> Int64? {
        guard let first = text.utf8.first, (0x31...0x39).contains(first), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int64(text)
    }

    static let noEndpoint = APIError(.notFound, code: .notFound, message: "no such endpoint")
}

extension DeliveryAPIController {
    // MARK: - Deliveries and replays

    func listDeliveries(_ request: Request, _ context: LocalContext) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = DeliveryFilter()
        if let text = query["endpoint_id"].map(String.init) {
            guard let id = Self.positiveInteger(text) else { throw APIError.invalidField(.endpointID, "must be a positive integer") }
            filter.endpoint = id
        }
        if let text = query["message_id"].map(String.init) {
            guard let id = Self.positiveInteger(text) else { throw APIError.invalidField(.messageID, "must be a positive integer") }
            filter.message = id
        }
        if let text = query["status"].map(String.init) {
            guard let status = DeliveryStatus(rawValue: text) else {
                throw APIError.invalidField(.status, "must be one of \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.status = status
        }
        let page = try LocalAPIController.Page(query, defaultLimit: filter.limit)
        if let text = query["generation_id"].map(String.init) {
            // A generation this daemon does not know has no deliveries.
            guard let row = try await generationRow(text) else {
                return try LocalAPIController.json(.ok, DeliveryListView(deliveries: [], nextCursor: nil))
            }
            filter.generation = row
        }
        filter.before = page.after
        filter.limit = page.limit + 1  // one row more than asked tells whether another page exists
        let rows = try await database.deliveries(matching: filter)
        let shown = Array(rows.prefix(page.limit))
        let next = rows.count > page.limit ? shown.last?.delivery.id.map(String.init) : nil
        return try LocalAPIController.json(.ok, DeliveryListView(deliveries: shown.map(DeliveryView.init), nextCursor: next))
    }

    func showDelivery(_ request: Request, _ context: LocalContext) async throws -> Response {
        guard let listing = try await database.delivery(try Self.pathID(context)) else {
            throw APIError(.notFound, code: .notFound, message: "no such delivery")
        }
        return try LocalAPIController.json(.ok, DeliveryDetailView(listing))
    }

    /// The message again, to every endpoint it was queued for, or to `endpoint_id` (also one added since).
    func redeliver(_ request: Request, _ context: LocalContext) async throws -> Response {
        let message = try Self.pathID(context)
        let body = try await JSONBody.read(request, allowEmpty: true)
        let endpoint = try body.positiveInteger(.endpointID)
        if let endpoint, try await database.endpoint(endpoint) == nil { throw Self.noEndpoint }
        guard let queued = try await database.redeliver(message: message, endpoint: endpoint, at: now()) else {
            throw APIError(.notFound, code: .notFound, message: "no such message")
        }
        context.logger.info("message queued again", metadata: ["message": "\(message)", "endpoint": "\(endpoint.map(String.init) ?? "every")", "queued": "\(queued)"])
        return try LocalAPIController.json(.accepted, QueuedView(queued: queued))
    }

    /// The local id of `?generation_id=` (a local id or a UUID); nil when no such generation is known.
    private func generationRow(_ text: String) async throws -> Int64? {
        if let row = Self.positiveInteger(text) { return row }
        guard let id = UUID(uuidString: text) else {
            throw APIError.invalidField(.generationID, "must be a local id or a generation UUID")
        }
        return try await database.generation(.generationID(id))?.id
    }
}

extension JSONBody {
    /// A positive 64-bit integer, when present (`3.0` counts, as in JSON Schema).
    func positiveInteger(_ key: RequestField) throws -> Int64? {
        switch object[key.rawValue] {
        case nil, .null?: return nil
        case .integer(let value)? where value >= 1: return value
        case .number(let value)? where value.rounded() == value && value >= 1 && value < 9.2e18: return Int64(value)
        default: throw APIError.invalidField(key, "must be a positive integer")
        }
    }
}
