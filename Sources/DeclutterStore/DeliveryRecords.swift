import Foundation
import GRDB

/// A local app that receives messages as signed webhooks: a row of `endpoints`.
public struct EndpointRecord: Sendable, Equatable {
    public static let databaseTableName = "endpoints"

    public var id: Int64?
    public var url: String
    public var description: String?
    /// The message types it takes; nil: every type.
    public var types: [MessageType]?
    /// `whsec_…`; signing needs it in clear, so the API shows it once and list output never.
    public var secret: String
    /// The secret before the last rotation: it still signs until `previousSecretExpiresAt`.
    public var previousSecret: String?
    public var previousSecretExpiresAt: Date?
    public var enabled: Bool
    public var disabledReason: String?
    /// The first failed attempt since the last delivered one; nil when the endpoint is healthy.
    public var failingSince: Date?
    public var createdAt: Date
    public var updatedAt: Date


    public init(url: String, description: String?, types: [MessageType]?, secret: String, createdAt: Date) {
        self.url = url
        self.description = description
        self.types = types
        self.secret = secret
        self.enabled = true
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    /// The secrets that sign a message sent at `date`: the current one, and the previous one during its overlap.
    public func signingSecrets(at date: Date) -> [String] {
        guard let previousSecret, let until = previousSecretExpiresAt, date < until else { return [secret] }
        return [secret, previousSecret]
    }

    /// Whether this endpoint takes messages of `type`.
    public func takes(_ type: MessageType) -> Bool { types?.contains(type) ?? true }

}

extension EndpointRecord: CustomDebugStringConvertible {
    /// Without its secrets, so that no interpolation in a log line or an error can carry them.
    public var debugDescription: String {
        "endpoint \(id.map(String.init) ?? "-") \(url) (\(enabled ? "enabled" : "disabled"))"
    }
}

/// Where one message stands with one endpoint.
public enum DeliveryStatus: String, Codable, Sendable, CaseIterable {
    /// Waiting for its next attempt (`next_attempt_at`).
    case pending
    case delivered
    /// Its last scheduled attempt failed, or the endpoint answered 410: a dead letter until replayed.
    case failed
}

/// One message for one endpoint: a row of `deliveries`.
public struct DeliveryRecord: Sendable, Equatable {
    public static let databaseTableName = "deliveries"

    public var id: Int64?
    public var message: Int64
    public var endpoint: Int64
    public var status: DeliveryStatus
    /// Attempts made so far, replays included.
    public var attempts: Int
    /// 1 when queued, one more at each replay.
    public var round: Int
    /// Attempts made in this round: where it stands in the retry schedule.
    public var roundAttempts: Int
    public var nextAttemptAt: Date?
    public var lastAttemptAt: Date?
    public var lastHTTPStatus: Int?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

}

/// One attempt to deliver a message: a row of `delivery_attempts`.
public struct DeliveryAttemptRecord: Sendable, Equatable {
    public static let databaseTableName = "delivery_attempts"

    public var id: Int64?
    public var delivery: Int64
    public var message: Int64
    public var endpoint: Int64
    /// 1 for the first attempt of the delivery.
    public var attempt: Int
    public var attemptedAt: Date
    public var httpStatus: Int?
    public var latencyMilliseconds: Int?
    /// The first `DeliveryAttemptRecord.responseLimit` bytes of the answer's body.
    public var response: String?
    public var error: String?

    /// How much of an answer is kept.
    public static let responseLimit = 1024


}

/// A delivery the worker should attempt now, with what it sends and where.
public struct DueDelivery: Sendable, Equatable {
    public var delivery: DeliveryRecord
    public var message: MessageRecord
    public var endpoint: EndpointRecord
}

/// A delivery as people look at it: with its message, and (when one delivery is asked for) its attempts.
public struct DeliveryListing: Sendable, Equatable {
    public var delivery: DeliveryRecord
    public var message: MessageRecord
    public var attempts: [DeliveryAttemptRecord]
}

/// How an attempt ended, as the worker decided from the answer and the retry schedule.
public enum AttemptVerdict: Sendable, Equatable {
    /// 2xx.
    case delivered
    /// Try again at this time.
    case retry(at: Date)
    /// No more tries: a dead letter until replayed.
    case failed
    /// 410 Gone: the message is failed and the endpoint disabled.
    case gone
}

/// One attempt's result, as the worker hands it to the store.
public struct AttemptReport: Sendable, Equatable {
    public var deliveryID: Int64
    /// The delivery's `round` as the worker read it before the attempt: a delivery replayed meanwhile keeps its new round.
    public var round: Int
    public var attemptedAt: Date
    public var httpStatus: Int?
    public var latencyMilliseconds: Int?
    public var response: String?
    public var error: String?
    public var verdict: AttemptVerdict
    /// An endpoint failing since before this date is disabled by this failure (`notify.disable_after`).
    public var disableIfFailingSince: Date?

    public init(deliveryID: Int64, round: Int, attemptedAt: Date, httpStatus: Int?, latencyMilliseconds: Int?, response: String?,
                error: String?, verdict: AttemptVerdict, disableIfFailingSince: Date?) {
        self.deliveryID = deliveryID
        self.round = round
        self.attemptedAt = attemptedAt
        self.httpStatus = httpStatus
        self.latencyMilliseconds = latencyMilliseconds
        self.response = response
        self.error = error
        self.verdict = verdict
        self.disableIfFailingSince = disableIfFailingSince
    }
}

/// What recording an attempt did to its endpoint.
public enum EndpointChange: Sendable, Equatable {
    case none
    /// Disabled, with the reason.
    case endpointDisabled(reason: String)
}
