import DeclutterStore
import Foundation

// How endpoints and deliveries become the local API's JSON (DeclutterWire/DeliveryViews.swift).

extension EndpointView {
    /// The previous secret's expiry is shown only while it still signs (at `now`).
    init(_ record: EndpointRecord, now: Date) {
        self.init(
            id: record.id ?? 0,
            url: record.url,
            description: record.description,
            types: record.types?.map(\.rawValue),
            enabled: record.enabled,
            disabledReason: record.disabledReason,
            failingSince: record.failingSince.map(StoreFormat.timestamp),
            previousSecretExpiresAt: record.previousSecretExpiresAt.flatMap { $0 > now ? StoreFormat.timestamp($0) : nil },
            createdAt: StoreFormat.timestamp(record.createdAt),
            updatedAt: StoreFormat.timestamp(record.updatedAt)
        )
    }
}

extension EndpointSecretView {
    init(_ record: EndpointRecord, now: Date) {
        self.init(
            endpoint: EndpointView(record, now: now),
            secret: record.secret
        )
    }
}

extension DeliveryView {
    init(_ listing: DeliveryListing) {
        let delivery = listing.delivery
        self.init(
            id: delivery.id ?? 0,
            messageID: listing.message.sequence,
            webhookID: listing.message.webhookID,
            type: listing.message.type.rawValue,
            generation: listing.message.generation,
            endpointID: delivery.endpoint,
            status: delivery.status.rawValue,
            attempts: delivery.attempts,
            nextAttemptAt: delivery.status == .pending ? delivery.nextAttemptAt.map(StoreFormat.timestamp) : nil,
            lastAttemptAt: delivery.lastAttemptAt.map(StoreFormat.timestamp),
            lastHTTPStatus: delivery.lastHTTPStatus,
            lastError: delivery.lastError,
            createdAt: StoreFormat.timestamp(delivery.createdAt),
            updatedAt: StoreFormat.timestamp(delivery.updatedAt)
        )
    }
}

extension DeliveryAttemptView {
    init(_ record: DeliveryAttemptRecord) {
        self.init(
            attempt: record.attempt,
            attemptedAt: StoreFormat.timestamp(record.attemptedAt),
            httpStatus: record.httpStatus,
            latencyMS: record.latencyMilliseconds,
            response: record.response,
            error: record.error
        )
    }
}

extension DeliveryDetailView {
    init(_ listing: DeliveryListing) {
        self.init(
            delivery: DeliveryView(listing),
            attempts: listing.attempts.map(DeliveryAttemptView.init)
        )
    }
}
