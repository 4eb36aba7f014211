import DeclutterWire
import Foundation

// The client side of the delivery routes (docs/delivery.md): endpoints, deliveries, redelivery, recovery.

public typealias LocalEndpointRecord = EndpointView
public typealias LocalEndpointWithSecret = EndpointSecretView
public typealias LocalDelivery = DeliveryView
public typealias LocalDeliveryDetail = DeliveryDetailView
public typealias LocalDeliveryPage = DeliveryListView

/// An answer without a body (204 No Content).
public struct NoContent: Decodable, Sendable, Equatable {
    public init() {}
}

/// The filters of `GET /v1/deliveries`.
public struct DeliveryQuery: Sendable, Equatable {
    public var endpointID: Int64?
    public var status: String?
    /// A local id or a generation UUID.
    public var generationID: String?
    public var messageID: Int64?
    public var limit: Int?
    public var cursor: String?

    public init(endpointID: Int64? = nil, status: String? = nil, generationID: String? = nil, messageID: Int64? = nil,
                limit: Int? = nil, cursor: String? = nil) {
        self.endpointID = endpointID
        self.status = status
        self.generationID = generationID
        self.messageID = messageID
        self.limit = limit
        self.cursor = cursor
    }

    var queryItems: [(String, String)] {
        [("endpoint_id", endpointID.map(String.init)), ("status", status), ("generation_id", generationID),
         ("message_id", messageID.map(String.init)), ("limit", limit.map(String.init)), ("cursor", cursor)]
            .compactMap { name, value in value.map { (name, $0) } }
    }
}

/// The parts of an endpoint an update changes: nil leaves a part as it is; `.some(nil)` clears the
/// description, or makes the endpoint take every type.
public struct EndpointUpdate: Sendable, Equatable, Encodable {
    public var url: String?
    public var description: String??
    public var types: [String]??

    public init(url: String? = nil, description: String?? = nil, types: [String]?? = nil) {
        self.url = url
        self.description = description
        self.types = types
    }

    enum CodingKeys: String, CodingKey {
        case url, description, types
    }

    /// Absent parts are left out; cleared ones are sent as null.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(url, forKey: .url)
        if let description { try container.encode(description, forKey: .description) }
        if let types { try container.encode(types, forKey: .types) }
    }
}

extension LocalAPIClient {
    // MARK: - Endpoints

    /// `POST /v1/endpoints`; the answer carries the secret (shown this once). `types` nil: every type.
    public func addEndpoint(url: String, types: [String]?, description: String?) async throws -> LocalReply<LocalEndpointWithSecret> {
        try await call(.POST, "/v1/endpoints", body: Self.json(NewEndpointBody(url: url, types: types, description: description)))
    }

    public func endpoints() async throws -> LocalReply<EndpointListView> {
        try await call(.GET, "/v1/endpoints")
    }

    public func endpoint(_ id: Int64) async throws -> LocalReply<LocalEndpointRecord> {
        try await call(.GET, "/v1/endpoints/\(id)")
    }

    public func updateEndpoint(_ id: Int64, _ update: EndpointUpdate) async throws -> LocalReply<LocalEndpointRecord> {
        try await call(.PATCH, "/v1/endpoints/\(id)", body: Self.json(update))
    }

    public func removeEndpoint(_ id: Int64) async throws -> LocalReply<NoContent> {
        try await call(.DELETE, "/v1/endpoints/\(id)")
    }

    public func setEndpointEnabled(_ id: Int64, _ enabled: Bool) async throws -> LocalReply<LocalEndpointRecord> {
        try await call(.POST, "/v1/endpoints/\(id)/\(enabled ? "enable" : "disable")")
    }

    /// `POST /v1/endpoints/{id}/rotate-secret`: the new secret; the previous one signs too for a while.
    public func rotateSecret(_ id: Int64) async throws -> LocalReply<LocalEndpointWithSecret> {
        try await call(.POST, "/v1/endpoints/\(id)/rotate-secret")
    }

    /// `POST /v1/endpoints/{id}/recover`: replays the failed deliveries of messages written since `since`
    /// (an age such as `2h`, or an RFC 3339 time).
    public func recover(endpoint id: Int64, since: String) async throws -> LocalReply<QueuedView> {
        try await call(.POST, "/v1/endpoints/\(id)/recover", body: Self.json(["since": since]))
    }

    // MARK: - Deliveries

    public func deliveries(_ query: DeliveryQuery = DeliveryQuery()) async throws -> LocalReply<LocalDeliveryPage> {
        try await call(.GET, "/v1/deliveries", query: query.queryItems)
    }

    public func delivery(_ id: Int64) async throws -> LocalReply<LocalDeliveryDetail> {
        try await call(.GET, "/v1/deliveries/\(id)")
    }

    /// `POST /v1/messages/{id}/redeliver`, to every endpoint the message went to, or to `endpoint`.
    public func redeliver(message id: Int64, endpoint: Int64? = nil) async throws -> LocalReply<QueuedView> {
        try await call(.POST, "/v1/messages/\(id)/redeliver", body: Self.json(RedeliverBody(endpointID: endpoint)))
    }
}

private struct NewEndpointBody: Encodable {
    let url: String
    let types: [String]?
    let description: String?
}

private struct RedeliverBody: Encodable {
    let endpointID: Int64?

    enum CodingKeys: String, CodingKey {
        case endpointID = "endpoint_id"
    }
}
