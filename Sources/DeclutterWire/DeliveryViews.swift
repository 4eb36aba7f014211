import Foundation

// The local API's JSON for webhook endpoints and deliveries (docs/delivery.md), read back by the client
// (the LocalClient module). An endpoint's secret is in `EndpointSecretView` only: the answers to create and rotate.

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

    package init(id: Int64, url: String, description: String?, types: [String]?, enabled: Bool, disabledReason: String?,
                 failingSince: String?, previousSecretExpiresAt: String?, createdAt: String, updatedAt: String) {
        self.id = id
        self.url = url
        self.description = description
        self.types = types
        self.enabled = enabled
        self.disabledReason = disabledReason
        self.failingSince = failingSince
        self.previousSecretExpiresAt = previousSecretExpiresAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// An endpoint with its secret: only the answers to `POST /v1/endpoints` and `…/rotate-secret` carry it.
public struct EndpointSecretView: Codable, Sendable, Equatable {
    public let endpoint: EndpointView
    public let secret: String

    enum CodingKeys: String, CodingKey {
        case secret
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

    package init(endpoint: EndpointView, secret: String) {
        self.endpoint = endpoint
        self.secret = secret
    }
}

/// `GET /v1/endpoints`.
public struct EndpointListView: Codable, Sendable, Equatable {
    public let endpoints: [EndpointView]

    package init(endpoints: [EndpointView]) {
        self.endpoints = endpoints
    }
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

    package init(id: Int64, messageID: Int64, webhookID: String, type: String, generation: Int64?, endpointID: Int64, status: String,
                 attempts: Int, nextAttemptAt: String?, lastAttemptAt: String?, lastHTTPStatus: Int?, lastError: String?,
                 createdAt: String, updatedAt: String) {
        self.id = id
        self.messageID = messageID
        self.webhookID = webhookID
        self.type = type
        self.generation = generation
        self.endpointID = endpointID
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.lastHTTPStatus = lastHTTPStatus
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
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

    package init(attempt: Int, attemptedAt: String, httpStatus: Int?, latencyMS: Int?, response: String?, error: String?) {
        self.attempt = attempt
        self.attemptedAt = attemptedAt
        self.httpStatus = httpStatus
        self.latencyMS = latencyMS
        self.response = response
        self.error = error
    }
}

/// `GET /v1/deliveries`, newest first.
public struct DeliveryListView: Codable, Sendable, Equatable {
    public let deliveries: [DeliveryView]
    public let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case deliveries, nextCursor = "next_cursor"
    }

    package init(deliveries: [DeliveryView], nextCursor: String?) {
        self.deliveries = deliveries
        self.nextCursor = nextCursor
    }
}

/// `GET /v1/deliveries/{id}`: the delivery and every attempt, oldest first.
public struct DeliveryDetailView: Codable, Sendable, Equatable {
    public let delivery: DeliveryView
    public let attempts: [DeliveryAttemptView]

    package init(delivery: DeliveryView, attempts: [DeliveryAttemptView]) {
        self.delivery = delivery
        self.attempts = attempts
    }
}

/// What a redelivery or a recovery queued.
public struct QueuedView: Codable, Sendable, Equatable {
    /// Deliveries made pending, due now.
    public let queued: Int

    package init(queued: Int) {
        self.queued = queued
    }
}
