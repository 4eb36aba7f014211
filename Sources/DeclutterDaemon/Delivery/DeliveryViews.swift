import DeclutterStore
import Foundation

// The local API's JSON for webhook endpoints and deliveries (docs/delivery.md), read back by the client
// (LocalClient/). An endpoint's secret is in `EndpointSecretView` only: the answers to create and rotate.

/// A webhook endpoint, without its secret.
public struct EndpointView: Codable, Sendable, Equatable {
    public let id: Int64
    public let url: String
    public let description: String?
    /// The message types it takes; absent: every type.
    public let types: [String]?
    public let enabled: Bool
    public let disabledReason: String?
    public let failingSince: String?
    /// While set, the secret before the last rotation signs too.
    public let previousSecretExpiresAt: String?
    public let createdAt: String
    public let updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, url, description, types, enabled, disabledReason = "disabled_reason", failingSince = "failing_since"
        case previousSecretExpiresAt = "previous_secret_expires_at", createdAt = "created_at", updatedAt = "updated_at"
    }

    /// The previous secret's expiry is shown only while it still signs (at `now`).
    init(_ record: EndpointRecord, now: Date) {
        id = record.id ?? 0
        url = record.url
        description = record.description
        types = record.types?.map(\.rawValue)
        enabled = record.enabled
        disabledReason = record.disabledReason
        failingSince = record.failingSince.map(StoreFormat.timestamp)
        previousSecretExpiresAt = record.previousSecretExpiresAt.flatMap { $0 > now ? StoreFormat.timestamp($0) : nil }
        createdAt = StoreFormat.timestamp(record.createdAt)
        updatedAt = StoreFormat.timestamp(record.updatedAt)
    }
}

/// An endpoint with its secret: only the answers to `POST /v1/endpoints` and `…/rotate-secret` carry it.
public struct EndpointSecretView: Codable, Sendable, Equatable {
    public let endpoint: EndpointView
    public let secret: String

    enum CodingKeys: String, CodingKey {
        case secret
    }

    init(_ record: EndpointRecord, now: Date) {
        endpoint = EndpointView(record, now: now)
        secret = record.secret
    }

    /// The endpoint's fields and `secret`, side by side in one object.
    public func encode(to encoder: any Encoder) throws {
        try endpoint.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(secret, forKey: .secret)
    }

    public init(from decoder: any Decoder) throws {
        endpoint = try EndpointView(from: decoder)
        secret = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .secret)
    }
}

/// `GET /v1/endpoints`.
public struct EndpointListView: Codable, Sendable, Equatable {
    public let endpoints: [EndpointView]
}

/// Where one message stands with one endpoint.
public struct DeliveryView: Codable, Sendable, Equatable {
    public let id: Int64
    /// The message's sequence number.
    public let messageID: Int64
    /// `msg_<sequence>`, the `webhook-id` of every attempt.
    public let webhookID: String
    public let type: String
    /// The generation's local id; absent for `quota.low`.
    public let generation: Int64?
    public let endpointID: Int64
    public let status: String
    /// Attempts made so far, replays included.
    public let attempts: Int
    public let nextAttemptAt: String?
    public let lastAttemptAt: String?
    public let lastHTTPStatus: Int?
    public let lastError: String?
    public let createdAt: String
    public let updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, messageID = "message_id", webhookID = "webhook_id", type, generation, endpointID = "endpoint_id", status, attempts
        case nextAttemptAt = "next_attempt_at", lastAttemptAt = "last_attempt_at", lastHTTPStatus = "last_http_status"
        case lastError = "last_error", createdAt = "created_at", updatedAt = "updated_at"
    }

    init(_ listing: DeliveryListing) {
        let delivery = listing.delivery
        id = delivery.id ?? 0
        messageID = listing.message.sequence
        webhookID = listing.message.webhookID
        type = listing.message.type.rawValue
        generation = listing.message.generation
        endpointID = delivery.endpoint
        status = delivery.status.rawValue
        attempts = delivery.attempts
        nextAttemptAt = delivery.status == .pending ? delivery.nextAttemptAt.map(StoreFormat.timestamp) : nil
        lastAttemptAt = delivery.lastAttemptAt.map(StoreFormat.timestamp)
        lastHTTPStatus = delivery.lastHTTPStatus
        lastError = delivery.lastError
        createdAt = StoreFormat.timestamp(delivery.createdAt)
        updatedAt = StoreFormat.timestamp(delivery.updatedAt)
    }
}

/// One attempt of a delivery.
public struct DeliveryAttemptView: Codable, Sendable, Equatable {
    /// 1 for the first attempt of the delivery.
    public let attempt: Int
    public let attemptedAt: String
    public let httpStatus: Int?
    public let latencyMS: Int?
    /// The first KiB of the answer's body.
    public let response: String?
    public let error: String?

    enum CodingKeys: String, CodingKey {
        case attempt, attemptedAt = "attempted_at", httpStatus = "http_status", latencyMS = "latency_ms", response, error
    }

    init(_ record: DeliveryAttemptRecord) {
        attempt = record.attempt
        attemptedAt = StoreFormat.timestamp(record.attemptedAt)
        httpStatus = record.httpStatus
        latencyMS = record.latencyMilliseconds
        response = record.response
        error = record.error
    }
}

/// `GET /v1/deliveries`, newest first.
public struct DeliveryListView: Codable, Sendable, Equatable {
    public let deliveries: [DeliveryView]
    public let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case deliveries, nextCursor = "next_cursor"
    }
}

/// `GET /v1/deliveries/{id}`: the delivery and every attempt, oldest first.
public struct DeliveryDetailView: Codable, Sendable, Equatable {
    public let delivery: DeliveryView
    public let attempts: [DeliveryAttemptView]

    init(_ listing: DeliveryListing) {
        delivery = DeliveryView(listing)
        attempts = listing.attempts.map(DeliveryAttemptView.init)
    }
}

/// What a redelivery or a recovery queued.
public struct QueuedView: Codable, Sendable, Equatable {
    /// Deliveries made pending, due now.
    public let queued: Int
}
