@testable import DeclutterDaemon
@testable import DeclutterStore
import Foundation

/// Records that fill every field of the delivery views, and none but the required ones (OpenAPITests).
enum DeliveryViewSamples {
    static func records(now: Date) -> (EndpointRecord, EndpointRecord, DeliveryListing, DeliveryListing) {
        var full = EndpointRecord(url: "http://127.0.0.1:9000/hooks", description: "the listing app", types: [.generationSucceeded, .quotaLow],
                                  secret: WebhookSecret.generate(), createdAt: now)
        full.id = 1
        full.previousSecret = WebhookSecret.generate()
        full.previousSecretExpiresAt = now + 3600
        full.enabled = false
        full.disabledReason = "the endpoint answered 410 Gone"
        full.failingSince = now - 60
        var bare = EndpointRecord(url: "http://127.0.0.1:9001/", description: nil, types: nil, secret: WebhookSecret.generate(), createdAt: now)
        bare.id = 2

        let message = MessageRecord(id: 12, type: .generationSucceeded, generation: 7, version: 4, createdAt: now, body: "{}")
        let quota = MessageRecord(id: 13, type: .quotaLow, generation: nil, version: nil, createdAt: now, body: "{}")
        let pending = DeliveryRecord(id: 3, message: 12, endpoint: 1, status: .pending, attempts: 2, round: 1, roundAttempts: 2, nextAttemptAt: now + 5,
                                     lastAttemptAt: now, lastHTTPStatus: 503, lastError: "HTTP 503", createdAt: now, updatedAt: now)
        let fresh = DeliveryRecord(id: 4, message: 13, endpoint: 2, status: .failed, attempts: 0, round: 1, roundAttempts: 0, nextAttemptAt: nil,
                                   lastAttemptAt: nil, lastHTTPStatus: nil, lastError: nil, createdAt: now, updatedAt: now)
        let attempts = [
            DeliveryAttemptRecord(id: 1, delivery: 3, message: 12, endpoint: 1, attempt: 1, attemptedAt: now, httpStatus: 503,
                                  latencyMilliseconds: 12, response: "busy", error: "HTTP 503"),
            DeliveryAttemptRecord(id: 2, delivery: 3, message: 12, endpoint: 1, attempt: 2, attemptedAt: now, httpStatus: nil,
                                  latencyMilliseconds: nil, response: nil, error: nil),
        ]
        return (full, bare, DeliveryListing(delivery: pending, message: message, attempts: attempts),
                DeliveryListing(delivery: fresh, message: quota, attempts: []))
    }
}

/// The documented 4xx answers of the delivery routes, for `OpenAPITests.documentedErrors` (a daemon with one
/// generation, message 1, and no endpoint).
enum DeliveryErrorCalls {
    typealias Call = (route: String, path: String, body: String?, headers: [String: String], status: Int, code: String?)

    static func calls(unknownUUID: String) -> [Call] {
        let url = "http://127.0.0.1:9/hooks"
        let long = String(repeating: "é", count: DeliveryAPIController.maximumDescriptionLength + 1)
        return [
            ("POST /v1/endpoints", "/v1/endpoints", "{}", [:], 400, "invalid_url"),
            ("POST /v1/endpoints", "/v1/endpoints", #"{"url": "ftp://127.0.0.1/hooks"}"#, [:], 400, "invalid_url"),
            ("POST /v1/endpoints", "/v1/endpoints", #"{"url": "\#(url)", "types": []}"#, [:], 400, "invalid_types"),
            ("POST /v1/endpoints", "/v1/endpoints", #"{"url": "\#(url)", "types": ["generation.done"]}"#, [:], 400, "invalid_types"),
            ("POST /v1/endpoints", "/v1/endpoints", #"{"url": "\#(url)", "types": "quota.low"}"#, [:], 400, "invalid_types"),
            ("POST /v1/endpoints", "/v1/endpoints", #"{"url": "\#(url)", "types": ["quota.low", "quota.low"]}"#, [:], 400, "invalid_types"),
            ("POST /v1/endpoints", "/v1/endpoints", #"{"url": "\#(url)", "description": "\#(long)"}"#, [:], 400, "invalid_description"),
            ("POST /v1/endpoints", "/v1/endpoints", #"{"url": "\#(url)", "description": 7}"#, [:], 400, "invalid_description"),
            ("POST /v1/endpoints", "/v1/endpoints", "[]", [:], 400, "invalid_json"),
            ("GET /v1/endpoints/{id}", "/v1/endpoints/abc", nil, [:], 400, "invalid_id"),
            ("GET /v1/endpoints/{id}", "/v1/endpoints/0", nil, [:], 400, "invalid_id"),
            ("GET /v1/endpoints/{id}", "/v1/endpoints/999999", nil, [:], 404, "not_found"),
            ("GET /v1/endpoints/{id}", "/v1/endpoints/9223372036854775807", nil, [:], 404, "not_found"),
            ("GET /v1/endpoints/{id}", "/v1/endpoints/9223372036854775808", nil, [:], 400, "invalid_id"),
            ("PATCH /v1/endpoints/{id}", "/v1/endpoints/999999", "{}", [:], 404, "not_found"),
            ("PATCH /v1/endpoints/{id}", "/v1/endpoints/999999", #"{"url": null}"#, [:], 400, "invalid_url"),
            ("DELETE /v1/endpoints/{id}", "/v1/endpoints/999999", nil, [:], 404, "not_found"),
            ("DELETE /v1/endpoints/{id}", "/v1/endpoints/-1", nil, [:], 400, "invalid_id"),
            ("POST /v1/endpoints/{id}/enable", "/v1/endpoints/999999/enable", nil, [:], 404, "not_found"),
            ("POST /v1/endpoints/{id}/disable", "/v1/endpoints/x/disable", nil, [:], 400, "invalid_id"),
            ("POST /v1/endpoints/{id}/rotate-secret", "/v1/endpoints/999999/rotate-secret", nil, [:], 404, "not_found"),
            ("POST /v1/endpoints/{id}/recover", "/v1/endpoints/999999/recover", #"{"since": "2h"}"#, [:], 404, "not_found"),
            ("POST /v1/endpoints/{id}/recover", "/v1/endpoints/1/recover", "{}", [:], 400, "invalid_since"),
            ("POST /v1/endpoints/{id}/recover", "/v1/endpoints/1/recover", #"{"since": "yesterday"}"#, [:], 400, "invalid_since"),
            ("POST /v1/endpoints/{id}/recover", "/v1/endpoints/1/recover", #"{"since": "2H"}"#, [:], 400, "invalid_since"),
            ("POST /v1/endpoints/{id}/recover", "/v1/endpoints/1/recover", #"{"since": "99999d"}"#, [:], 400, "invalid_since"),
            ("GET /v1/deliveries", "/v1/deliveries?status=PENDING", nil, [:], 400, "invalid_status"),
            ("GET /v1/deliveries", "/v1/deliveries?endpoint_id=0", nil, [:], 400, "invalid_endpoint_id"),
            ("GET /v1/deliveries", "/v1/deliveries?message_id=x", nil, [:], 400, "invalid_message_id"),
            ("GET /v1/deliveries", "/v1/deliveries?generation_id=abc", nil, [:], 400, "invalid_generation_id"),
            ("GET /v1/deliveries", "/v1/deliveries?cursor=0", nil, [:], 400, "invalid_cursor"),
            ("GET /v1/deliveries", "/v1/deliveries?generation_id=\(unknownUUID)", nil, [:], 200, nil),
            ("GET /v1/deliveries", "/v1/deliveries?endpoint_id=9223372036854775807", nil, [:], 200, nil),
            ("GET /v1/deliveries", "/v1/deliveries?message_id=9223372036854775808", nil, [:], 400, "invalid_message_id"),
            ("POST /v1/messages/{id}/redeliver", "/v1/messages/1/redeliver", #"{"endpoint_id": 1e30}"#, [:], 400, "invalid_endpoint_id"),
            ("POST /v1/messages/{id}/redeliver", "/v1/messages/1/redeliver", #"{"endpoint_id": 2.0}"#, [:], 404, "not_found"),
            ("GET /v1/deliveries/{id}", "/v1/deliveries/999999", nil, [:], 404, "not_found"),
            ("GET /v1/deliveries/{id}", "/v1/deliveries/1.5", nil, [:], 400, "invalid_id"),
            ("POST /v1/messages/{id}/redeliver", "/v1/messages/999999/redeliver", "", [:], 404, "not_found"),
            ("POST /v1/messages/{id}/redeliver", "/v1/messages/1/redeliver", #"{"endpoint_id": 999999}"#, [:], 404, "not_found"),
            ("POST /v1/messages/{id}/redeliver", "/v1/messages/1/redeliver", #"{"endpoint_id": 0}"#, [:], 400, "invalid_endpoint_id"),
            ("POST /v1/messages/{id}/redeliver", "/v1/messages/1/redeliver", #"{"endpoint_id": "1"}"#, [:], 400, "invalid_endpoint_id"),
            ("POST /v1/messages/{id}/redeliver", "/v1/messages/1/redeliver", "{}", [:], 202, nil),
        ]
    }
}
