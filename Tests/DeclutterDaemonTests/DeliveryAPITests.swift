@testable import DeclutterDaemon
@testable import DeclutterStore
import Foundation
import TestSupport
import Testing

/// The delivery routes of the local API against a real daemon: endpoints, deliveries, redeliver, recover.
@Suite("Local API: endpoints and deliveries", .timeLimit(.minutes(3)))
struct DeliveryAPITests {
    @Test("create, list, show, update, disable, enable, rotate, delete; the secret only in the create and rotate answers", arguments: StoreBackend.available)
    func endpointRoundTrip(_ backend: StoreBackend) async throws {
        try await RouterHarness.with(backend: backend) { harness in
            // Given a new endpoint
            let created = try await harness.local("POST", "/v1/endpoints",
                                                  json: #"{"url": "http://127.0.0.1:9/hooks", "types": ["generation.succeeded", "quota.low"], "description": "app"}"#)
            #expect(created.status == 201, "\(created.text)")
            let secret = try #require(E2E.string(created.json, "secret"))
            #expect(WebhookSecret.key(of: secret)?.count == 32, "\(secret)")
            let id = try E2E.row(created.json)
            #expect(created.json["types"] as? [String] == ["generation.succeeded", "quota.low"])
            #expect(created.json["enabled"] as? Bool == true && E2E.string(created.json, "description") == "app")
            #expect(try await harness.database.endpoint(id)?.secret == secret)

            // Then reads never show the secret
            let list = try await harness.local("GET", "/v1/endpoints")
            let show = try await harness.local("GET", "/v1/endpoints/\(id)")
            #expect(list.status == 200 && show.status == 200)
            #expect((list.json["endpoints"] as? [[String: Any]])?.map { try? E2E.row($0) } == [id])
            for reply in [list, show] {
                #expect(!reply.text.contains(secret) && !reply.text.contains("whsec_") && !reply.text.contains("secret\""), "\(reply.text)")
            }

            // When it is updated: description cleared, every type, a new URL
            let updated = try await harness.local("PATCH", "/v1/endpoints/\(id)", json: #"{"description": null, "types": null, "url": "https://localhost:8443/h"}"#)
            #expect(updated.status == 200, "\(updated.text)")
            #expect(updated.json["types"] == nil && updated.json["description"] == nil && E2E.string(updated.json, "url") == "https://localhost:8443/h")
            let kept = try await harness.local("PATCH", "/v1/endpoints/\(id)", json: #"{"types": ["generation.failed"]}"#)
            #expect(kept.json["types"] as? [String] == ["generation.failed"] && E2E.string(kept.json, "url") == "https://localhost:8443/h")

            let disabled = try await harness.local("POST", "/v1/endpoints/\(id)/disable")
            #expect(disabled.status == 200 && disabled.json["enabled"] as? Bool == false, "\(disabled.text)")
            #expect(E2E.string(disabled.json, "disabled_reason") == "disabled by an operator")
            let enabled = try await harness.local("POST", "/v1/endpoints/\(id)/enable")
            #expect(enabled.status == 200 && enabled.json["enabled"] as? Bool == true && enabled.json["disabled_reason"] == nil, "\(enabled.text)")

            // A rotation: a new secret, the previous one signing for another 24 h
            let rotated = try await harness.local("POST", "/v1/endpoints/\(id)/rotate-secret")
            #expect(rotated.status == 200, "\(rotated.text)")
            let newSecret = try #require(E2E.string(rotated.json, "secret"))
            #expect(newSecret != secret && WebhookSecret.isValid(newSecret))
            let stored = try #require(try await harness.database.endpoint(id))
            #expect(stored.secret == newSecret && stored.previousSecret == secret)
            let expiry = try #require(E2E.string(rotated.json, "previous_secret_expires_at").flatMap(RFC3339.date))
            #expect(abs(expiry.timeIntervalSinceNow - 86_400) < 60, "\(expiry)")
            #expect(stored.signingSecrets(at: Date()) == [newSecret, secret])
            let shownAfter = try await harness.local("GET", "/v1/endpoints/\(id)")
            #expect(!shownAfter.text.contains(newSecret) && !shownAfter.text.contains(secret) && shownAfter.json["previous_secret_expires_at"] != nil)

            // Deleted: gone for every route
            let deleted = try await harness.local("DELETE", "/v1/endpoints/\(id)")
            #expect(deleted.status == 204 && deleted.body.isEmpty)
            for (method, path) in [("GET", ""), ("DELETE", ""), ("POST", "/enable"), ("POST", "/rotate-secret")] {
                let gone = try await harness.local(method, "/v1/endpoints/\(id)\(path)")
                #expect(gone.status == 404 && E2E.errorCode(gone) == "not_found" && E2E.errorMessage(gone) == "no such endpoint", "\(method) \(path)")
            }
            #expect(try await harness.database.endpoints().isEmpty)
        }
    }

    @Test("bad input is a 4xx naming the rule, and writes nothing", arguments: StoreBackend.available)
    func badInput(_ backend: StoreBackend) async throws {
        try await RouterHarness.with(backend: backend) { harness in
            let original = try await harness.local("POST", "/v1/endpoints", json: #"{"url": "http://127.0.0.1:9/a", "description": "first"}"#)
            let id = try E2E.row(original.json)
            let before = try await harness.database.endpoints()
            let bad: [(method: String, path: String, body: String, code: String, rule: String)] = [
                ("POST", "/v1/endpoints", #"{"url": "http://user:pass@127.0.0.1/a"}"#, "invalid_url", "absolute http(s) URL"),
                ("POST", "/v1/endpoints", #"{"types": ["quota.low"]}"#, "invalid_url", "is required"),
                ("POST", "/v1/endpoints", #"{"url": "http://127.0.0.1:9/b", "types": ["quota.high"]}"#, "invalid_types", "quota.low"),
                ("POST", "/v1/endpoints", #"{"url": "http://127.0.0.1:9/b", "types": []}"#, "invalid_types", "non-empty"),
                ("POST", "/v1/endpoints", #"{"url": "http://127.0.0.1:9/b", "description": "\#(String(repeating: "x", count: 501))"}"#,
                 "invalid_description", "at most 500"),
                ("PATCH", "/v1/endpoints/\(id)", #"{"description": "changed", "url": "ftp://127.0.0.1/a"}"#, "invalid_url", "absolute http(s) URL"),
                ("PATCH", "/v1/endpoints/\(id)", #"{"description": "changed", "types": ["generation.created", "generation.created"]}"#, "invalid_types", "distinct"),
                ("PATCH", "/v1/endpoints/\(id)", #"{"url": "http://127.0.0.1:9/c", "description": ["x"]}"#, "invalid_description", "string"),
                ("POST", "/v1/endpoints/\(id)/recover", #"{"since": "last week"}"#, "invalid_since", "RFC 3339"),
            ]
            for call in bad {
                let reply = try await harness.local(call.method, call.path, json: call.body)
                #expect(reply.status == 400, "\(call.method) \(call.path) \(call.body.prefix(80)): \(reply.text)")
                #expect(E2E.errorCode(reply) == call.code, "\(reply.text)")
                #expect(E2E.errorMessage(reply)?.contains(call.rule) == true, "\(reply.text)")
            }
            #expect(try await harness.database.endpoints() == before, "nothing written")
        }
    }

    @Test("at most 100 endpoints: the 101st is a 409 naming the limit", arguments: StoreBackend.available)
    func endpointLimit(_ backend: StoreBackend) async throws {
        try await RouterHarness.with(backend: backend) { harness in
            for index in 1...DeliveryAPIController.maximumEndpoints {
                let reply = try await harness.local("POST", "/v1/endpoints", json: #"{"url": "http://127.0.0.1:9/\#(index)"}"#)
                #expect(reply.status == 201, "\(index): \(reply.text)")
            }
            let refused = try await harness.local("POST", "/v1/endpoints", json: #"{"url": "http://127.0.0.1:9/one-more"}"#)
            #expect(refused.status == 409 && E2E.errorCode(refused) == "too_many_endpoints", "\(refused.text)")
            #expect(E2E.errorMessage(refused)?.contains("100") == true)
            #expect(try await harness.database.endpoints().count == DeliveryAPIController.maximumEndpoints)
        }
    }

    @Test("redeliver and recover change exactly the deliveries they name", arguments: StoreBackend.available)
    func redeliverAndRecover(_ backend: StoreBackend) async throws {
        try await RouterHarness.with(backend: backend) { harness in
            let seeded = try await DeliverySeed.make(harness)
            let (all, succeededOnly) = (seeded.all, seeded.succeededOnly)

            // The list and its filters
            let failed = try await harness.local("GET", "/v1/deliveries?endpoint_id=\(all)&status=failed")
            #expect(Self.ids(failed) == [seeded.recentFailed, seeded.oldFailed], "\(failed.text)")
            let byGeneration = try await harness.local("GET", "/v1/deliveries?generation_id=\(seeded.recentGeneration.uuidString)")
            #expect(Self.ids(byGeneration) == [seeded.recentFailed], "\(byGeneration.text)")
            let firstPage = try await harness.local("GET", "/v1/deliveries?limit=2")
            let cursor = try #require(E2E.string(firstPage.json, "next_cursor"))
            let secondPage = try await harness.local("GET", "/v1/deliveries?limit=2&cursor=\(cursor)")
            #expect(Self.ids(firstPage) + Self.ids(secondPage) == [seeded.recentFailed, seeded.delivered, seeded.oldFailed])
            let detail = try await harness.local("GET", "/v1/deliveries/\(seeded.recentFailed)")
            #expect((detail.json["attempts"] as? [[String: Any]])?.map { $0["http_status"] as? Int } == [500], "\(detail.text)")
            let shown = try #require(detail.json["delivery"] as? [String: Any])
            #expect(E2E.string(shown, "status") == "failed" && E2E.string(shown, "webhook_id") == "msg_\(seeded.recentMessage)")
            #expect(shown["generation"] as? Int == Int(seeded.recentRow) && shown["attempts"] as? Int == 1 && shown["next_attempt_at"] == nil)

            // recover since a time between the two failed messages: the recent one only
            let between = StoreFormat.timestamp(seeded.recentAt - 3600)
            let recovered = try await harness.local("POST", "/v1/endpoints/\(all)/recover", json: #"{"since": "\#(between)"}"#)
            #expect(recovered.status == 202 && recovered.json["queued"] as? Int == 1, "\(recovered.text)")
            #expect(try await seeded.statuses(harness) == [seeded.delivered: .delivered, seeded.recentFailed: .pending, seeded.oldFailed: .failed])
            let requeued = try #require(try await harness.database.delivery(seeded.recentFailed)?.delivery)
            #expect(requeued.roundAttempts == 0 && requeued.attempts == 1 && requeued.nextAttemptAt.map { abs($0.timeIntervalSinceNow) < 60 } == true)

            // recover since an age: the failed one left (the old one: every message is younger than 2 h), none twice
            let again = try await harness.local("POST", "/v1/endpoints/\(all)/recover", json: #"{"since": "2h"}"#)
            #expect(again.json["queued"] as? Int == 1, "\(again.text)")
            #expect(try await seeded.statuses(harness) == [seeded.delivered: .delivered, seeded.recentFailed: .pending, seeded.oldFailed: .pending])
            let twice = try await harness.local("POST", "/v1/endpoints/\(all)/recover", json: #"{"since": "2026-01-01T00:00:00Z"}"#)
            #expect(twice.json["queued"] as? Int == 0, "\(twice.text)")

            // redeliver a delivered message: to the endpoint it went to
            let redelivered = try await harness.local("POST", "/v1/messages/\(seeded.deliveredMessage)/redeliver", json: "")
            #expect(redelivered.status == 202 && redelivered.json["queued"] as? Int == 1, "\(redelivered.text)")
            #expect(try await seeded.statuses(harness)[seeded.delivered] == .pending)

            // to an endpoint whose filter refuses the type: nothing; to one added since: a new delivery
            let refused = try await harness.local("POST", "/v1/messages/\(seeded.deliveredMessage)/redeliver", json: #"{"endpoint_id": \#(succeededOnly)}"#)
            #expect(refused.status == 202 && refused.json["queued"] as? Int == 0, "\(refused.text)")
            let later = try await harness.local("POST", "/v1/endpoints", json: #"{"url": "http://127.0.0.1:9/later"}"#)
            let laterID = try E2E.row(later.json)
            _ = try await harness.local("POST", "/v1/endpoints/\(laterID)/disable")
            let toLater = try await harness.local("POST", "/v1/messages/\(seeded.deliveredMessage)/redeliver", json: #"{"endpoint_id": \#(laterID)}"#)
            #expect(toLater.json["queued"] as? Int == 1, "\(toLater.text)")
            let laterDeliveries = try await harness.database.deliveries(matching: DeliveryFilter(endpoint: laterID))
            #expect(laterDeliveries.map(\.message.sequence) == [seeded.deliveredMessage] && laterDeliveries.first?.delivery.status == .pending)

            // unknown message or endpoint: 404, nothing written
            let before = try await harness.database.deliveries(matching: DeliveryFilter())
            let noMessage = try await harness.local("POST", "/v1/messages/999999/redeliver", json: "{}")
            #expect(noMessage.status == 404 && E2E.errorMessage(noMessage) == "no such message")
            let noEndpoint = try await harness.local("POST", "/v1/messages/\(seeded.deliveredMessage)/redeliver", json: #"{"endpoint_id": 999999}"#)
            #expect(noEndpoint.status == 404 && E2E.errorMessage(noEndpoint) == "no such endpoint")
            let noRecovery = try await harness.local("POST", "/v1/endpoints/999999/recover", json: #"{"since": "2h"}"#)
            #expect(noRecovery.status == 404)
            #expect(try await harness.database.deliveries(matching: DeliveryFilter()) == before)
        }
    }

    static func ids(_ reply: Harness.Reply) -> [Int64] {
        ((reply.json["deliveries"] as? [[String: Any]]) ?? []).compactMap { try? E2E.row($0) }
    }
}

/// Deliveries in known states, out of any delivery worker's reach: two endpoints, messages dated tomorrow and
/// the day after (not due before the endpoints are disabled), attempts recorded through the store.
struct DeliverySeed {
    /// Takes every type; takes `generation.succeeded` only (so no `generation.created`).
    let all: Int64
    let succeededOnly: Int64
    let recentGeneration: UUID
    let recentRow: Int64
    let recentAt: Date
    let deliveredMessage: Int64
    let recentMessage: Int64
    /// Deliveries to `all`: delivered, failed (message written at `recentAt`), failed (a day earlier).
    let delivered: Int64
    let recentFailed: Int64
    let oldFailed: Int64

    static func make(_ harness: some LocalAPIHarness) async throws -> DeliverySeed {
        let all = try E2E.row(try await harness.local("POST", "/v1/endpoints", json: #"{"url": "http://127.0.0.1:9/all"}"#).json)
        let succeededOnly = try E2E.row(try await harness.local("POST", "/v1/endpoints",
                                                                json: #"{"url": "http://127.0.0.1:9/s", "types": ["generation.succeeded"]}"#).json)
        let tomorrow = Date() + 86_400
        var rows: [Int64] = []
        var uuids: [UUID] = []
        for offset in [0.0, 1, 2] {
            let uuid = UUID()
            let (record, _) = try await harness.database.track(generationID: uuid, at: tomorrow + offset * 43_200, firstPollAt: tomorrow + 7 * 86_400)
            rows.append(try #require(record.id))
            uuids.append(uuid)
        }
        for endpoint in [all, succeededOnly] { _ = try await harness.local("POST", "/v1/endpoints/\(endpoint)/disable") }
        var deliveries: [Int64] = []
        var messages: [Int64] = []
        for row in rows {
            let listing = try #require(try await harness.database.deliveries(matching: DeliveryFilter(endpoint: all, generation: row)).first)
            deliveries.append(try #require(listing.delivery.id))
            messages.append(listing.message.sequence)
        }
        #expect(try await harness.database.deliveries(matching: DeliveryFilter(endpoint: succeededOnly)).isEmpty)
        // oldest (rows[0]) failed, middle (rows[1]) delivered, newest (rows[2]) failed
        for (index, verdict, status) in [(0, AttemptVerdict.failed, 502), (1, .delivered, 204), (2, .failed, 500)] {
            _ = try await harness.database.recordAttempt(AttemptReport(
                deliveryID: deliveries[index], round: 1, attemptedAt: Date(), httpStatus: status, latencyMilliseconds: 3, response: "r",
                error: verdict == .delivered ? nil : "HTTP \(status)", verdict: verdict, disableIfFailingSince: nil))
        }
        return DeliverySeed(all: all, succeededOnly: succeededOnly, recentGeneration: uuids[2], recentRow: rows[2], recentAt: tomorrow + 86_400,
                            deliveredMessage: messages[1], recentMessage: messages[2],
                            delivered: deliveries[1], recentFailed: deliveries[2], oldFailed: deliveries[0])
    }

    func statuses(_ harness: some LocalAPIHarness) async throws -> [Int64: DeliveryStatus] {
        var statuses: [Int64: DeliveryStatus] = [:]
        for listing in try await harness.database.deliveries(matching: DeliveryFilter(endpoint: all)) {
            statuses[listing.delivery.id ?? 0] = listing.delivery.status
        }
        return statuses
    }
}
