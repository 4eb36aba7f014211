import DeclutterAPI
@testable import DeclutterStore
import Foundation
import TestSupport
import Testing

@Suite("Endpoints: created, edited, enabled, rotated")
struct EndpointStoreTests {
    @Test("endpoints are created up to the limit, read back whole, edited, disabled and enabled again", arguments: StoreBackend.available)
    func lifecycle(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let a = try await database.addEndpoint("a")
            let b = try await database.addEndpoint("b", types: [.generationSucceeded, .quotaLow])
            let (aID, bID) = (try #require(a.id), try #require(b.id))
            let third = EndpointRecord(url: "http://127.0.0.1:9/c", description: "third", types: nil, secret: "whsec_c", createdAt: t0)
            #expect(try await database.createEndpoint(third, limit: 2) == nil, "two endpoints exist: the limit is reached")
            #expect(try await database.endpoints() == [a, b])
            #expect(try await database.endpoint(bID)?.types == [.generationSucceeded, .quotaLow])

            let edited = try #require(try await database.editEndpoint(aID, EndpointEdit(description: .some("mine"), types: .some([.generationFailed])),
                                                                      at: t0.plus(1)))
            #expect(edited.url == a.url && edited.description == "mine" && edited.types == [.generationFailed] && edited.updatedAt == t0.plus(1))
            let cleared = try await database.editEndpoint(aID, EndpointEdit(url: "http://127.0.0.1:9/moved", description: .some(nil), types: .some(nil)),
                                                          at: t0.plus(2))
            #expect(cleared?.url == "http://127.0.0.1:9/moved" && cleared?.description == nil && cleared?.types == nil)
            #expect(try await database.endpoint(aID) == cleared)

            let disabled = try await database.setEndpointEnabled(bID, false, reason: "by hand", at: t0.plus(3))
            #expect(disabled?.enabled == false && disabled?.disabledReason == "by hand")
            #expect(try await database.enabledEndpoints().map(\.id) == [aID])
            let enabled = try await database.setEndpointEnabled(bID, true, reason: "ignored", at: t0.plus(4))
            #expect(enabled?.enabled == true && enabled?.disabledReason == nil)
            #expect(try await database.enabledEndpoints().map(\.id) == [aID, bID])
            #expect(try await database.createEndpoint(third, limit: 3)?.description == "third")

            #expect(try await database.editEndpoint(999, EndpointEdit(url: "http://127.0.0.1:9/x"), at: t0) == nil)
            #expect(try await database.setEndpointEnabled(999, false, reason: nil, at: t0) == nil)
            #expect(try await database.rotateSecret(of: 999, to: "whsec_x", overlapUntil: t0, at: t0) == nil)
            #expect(try await database.endpoint(999) == nil)
        }
    }

    @Test("a rotated secret keeps the previous one signing until the overlap ends; the next rotation keeps the one before it",
          arguments: StoreBackend.available)
    func rotation(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let id = try #require(try await database.addEndpoint("a").id)
            let rotated = try #require(try await database.rotateSecret(of: id, to: "whsec_new", overlapUntil: t0.plus(3600), at: t0.plus(1)))
            #expect(rotated.secret == "whsec_new" && rotated.previousSecret == "whsec_a" && rotated.previousSecretExpiresAt == t0.plus(3600))
            #expect(rotated.signingSecrets(at: t0.plus(10)) == ["whsec_new", "whsec_a"])
            #expect(rotated.signingSecrets(at: t0.plus(3600)) == ["whsec_new"])
            #expect(try await database.endpoint(id) == rotated)
            let again = try await database.rotateSecret(of: id, to: "whsec_newer", overlapUntil: t0.plus(7200), at: t0.plus(2))
            #expect(again?.secret == "whsec_newer" && again?.previousSecret == "whsec_new")
        }
    }
}

@Suite("Deliveries: attempts, the endpoint's health, replays")
struct DeliveryAttemptTests {
    @Test("a failure starts the endpoint's failure record, a success clears it; failing since before the disable date disables it",
          arguments: StoreBackend.available)
    func failingEndpointIsDisabled(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let endpoint = try await database.addEndpoint("a")
            let id = try #require(endpoint.id)
            _ = try await database.submitted(remaining: 500)
            let deliveries = try await database.deliveryIDs(to: endpoint)
            try #require(deliveries.count == 2)
            let (first, second) = (deliveries[0], deliveries[1])

            let failed = try await database.recordAttempt(attemptReport(first, at: t0.plus(10), status: 500, verdict: .retry(at: t0.plus(70)),
                                                                        disableIfFailingSince: t0.plus(-3590)))
            #expect(failed == .none)
            #expect(try await database.endpoint(id)?.failingSince == t0.plus(10))
            #expect(try await database.recordAttempt(attemptReport(first, at: t0.plus(70), status: 204, verdict: .delivered)) == .none)
            let healthy = try await database.endpoint(id)
            #expect(healthy?.failingSince == nil && healthy?.enabled == true && healthy?.updatedAt == t0.plus(70))
            // A success while healthy leaves the endpoint's row as it is.
            _ = try await database.recordAttempt(attemptReport(first, at: t0.plus(80), status: 204, verdict: .delivered))
            #expect(try await database.endpoint(id)?.updatedAt == t0.plus(70))

            _ = try await database.recordAttempt(attemptReport(second, at: t0.plus(100), status: 500, verdict: .retry(at: t0.plus(160)),
                                                               disableIfFailingSince: t0.plus(-3500)))
            let change = try await database.recordAttempt(attemptReport(second, at: t0.plus(3701), status: 503, verdict: .failed,
                                                                        disableIfFailingSince: t0.plus(101)))
            let reason = "failing since \(StoreFormat.timestamp(t0.plus(100)))"
            #expect(change == .endpointDisabled(reason: reason))
            let disabled = try await database.endpoint(id)
            #expect(disabled?.enabled == false && disabled?.disabledReason == reason && disabled?.failingSince == t0.plus(100))

            let dead = try #require(try await database.delivery(second))
            #expect(dead.delivery.status == .failed && dead.delivery.nextAttemptAt == nil)
            #expect(dead.delivery.attempts == 2 && dead.delivery.roundAttempts == 2 && dead.delivery.lastHTTPStatus == 503)
            #expect(dead.attempts.map(\.attempt) == [1, 2])
            #expect(dead.attempts.map(\.httpStatus) == [500, 503])
            #expect(dead.attempts.map(\.error) == ["HTTP 500", "HTTP 503"])
            #expect(dead.attempts.allSatisfy { $0.endpoint == id && $0.message == dead.message.sequence && $0.latencyMilliseconds == 5 })
            #expect(try await database.delivery(first)?.delivery.status == .delivered)
        }
    }

    @Test("410 Gone fails the delivery and disables its endpoint at once; an attempt on a delivery gone records nothing",
          arguments: StoreBackend.available)
    func goneDisablesAtOnce(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let endpoint = try await database.addEndpoint("a")
            _ = try await database.submitted(remaining: 500)
            let delivery = try #require(try await database.deliveryIDs(to: endpoint).first)
            let change = try await database.recordAttempt(attemptReport(delivery, at: t0.plus(10), status: 410, verdict: .gone))
            #expect(change == .endpointDisabled(reason: "the endpoint answered 410 Gone"))
            #expect(try await database.delivery(delivery)?.delivery.status == .failed)
            #expect(try await database.endpoint(try #require(endpoint.id))?.enabled == false)

            let attempts = try await database.count("delivery_attempts")
            #expect(try await database.recordAttempt(attemptReport(999, at: t0.plus(11), status: 410, verdict: .gone)) == .none)
            #expect(try await database.count("delivery_attempts") == attempts)
        }
    }

    @Test("recover replays the dead letters of an endpoint whose messages were written since the date, at the start of a new round",
          arguments: StoreBackend.available)
    func recoverReplaysDeadLetters(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let endpoint = try await database.addEndpoint("a")
            let id = try #require(endpoint.id)
            _ = try await database.submitted(at: t0, remaining: 500)
            let late = try await database.submitted(at: t0.plus(100), remaining: 500)
            for delivery in try await database.deliveryIDs(to: endpoint) {
                _ = try await database.recordAttempt(attemptReport(delivery, at: t0.plus(200), status: 500, verdict: .failed))
            }

            #expect(try await database.recover(endpoint: id, since: t0.plus(50), at: t0.plus(300)) == 2)
            let pending = try await database.deliveries(matching: DeliveryFilter(endpoint: id, status: .pending))
            #expect(pending.map(\.message.generation) == [late.row, late.row])
            #expect(pending.allSatisfy {
                $0.delivery.round == 2 && $0.delivery.roundAttempts == 0 && $0.delivery.attempts == 1 && $0.delivery.nextAttemptAt == t0.plus(300)
                    && $0.delivery.updatedAt == t0.plus(300)
            })
            #expect(try await database.deliveries(matching: DeliveryFilter(endpoint: id, status: .failed)).count == 2)
            #expect(try await database.recover(endpoint: id, since: t0.plus(50), at: t0.plus(301)) == 0, "no dead letter left since then")
            #expect(try await database.recover(endpoint: 999, since: t0, at: t0.plus(301)) == nil)
        }
    }

    @Test("redeliver queues a message again for its endpoints, or for one given, added later, when it takes the message's type",
          arguments: StoreBackend.available)
    func redeliverReachesLaterEndpoints(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let a = try await database.addEndpoint("a")
            let submitted = try await database.submitted(remaining: 500)
            let messages = try await database.generationMessages(of: submitted.row)
            try #require(messages.map(\.type) == [.generationCreated, .generationUpdated])
            let (created, updated) = (messages[0], messages[1])
            let b = try await database.addEndpoint("b", types: [.generationUpdated], at: t0.plus(10))
            let bID = try #require(b.id)

            #expect(try await database.redeliver(message: created.sequence, endpoint: bID, at: t0.plus(20)) == 0, "b does not take generation.created")
            #expect(try await database.redeliver(message: updated.sequence, endpoint: bID, at: t0.plus(20)) == 1)
            let toB = try await database.deliveries(matching: DeliveryFilter(endpoint: bID))
            #expect(toB.map(\.message.sequence) == [updated.sequence])
            #expect(toB.first?.delivery.status == .pending && toB.first?.delivery.nextAttemptAt == t0.plus(20) && toB.first?.delivery.roundAttempts == 0)

            #expect(try await database.redeliver(message: updated.sequence, at: t0.plus(30)) == 2, "to a and b")
            let toA = try #require(try await database.deliveries(matching: DeliveryFilter(endpoint: a.id, message: updated.sequence)).first)
            #expect(toA.delivery.round == 2 && toA.delivery.nextAttemptAt == t0.plus(30))
            #expect(try await database.redeliver(message: 999, at: t0.plus(30)) == nil)
        }
    }

    @Test("due deliveries come earliest first, up to the limit, without those in flight; the next attempt date leaves those out too",
          arguments: StoreBackend.available)
    func dueDeliveriesAndNextDate(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let endpoint = try await database.addEndpoint("a")
            let id = try #require(endpoint.id)
            for index in 0..<3 { _ = try await database.submitted(at: t0.plus(Double(index) * 10), remaining: 500) }
            // Two deliveries due at t0, two at t0 + 10, two at t0 + 20.
            let ids = try await database.deliveryIDs(to: endpoint)
            try #require(ids.count == 6)

            #expect(try await database.nextAttemptDate(endpoints: [id], excluding: []) == t0)
            #expect(try await database.nextAttemptDate(endpoints: [id], excluding: [ids[0], ids[1]]) == t0.plus(10))
            #expect(try await database.nextAttemptDate(endpoints: [], excluding: []) == nil)
            #expect(try await database.nextAttemptDate(endpoints: [999], excluding: []) == nil)

            let due = try await database.dueDeliveries(to: endpoint, at: t0.plus(15), excluding: [ids[0]], limit: 2)
            #expect(due.map(\.delivery.id) == [ids[1], ids[2]])
            #expect(due.allSatisfy { $0.message.sequence == $0.delivery.message && $0.endpoint == endpoint })
            // With those two in flight, the earliest left is the one left out before.
            #expect(try await database.nextAttemptDate(endpoints: [id], excluding: [ids[1], ids[2]]) == t0)
            #expect(try await database.nextAttemptDate(endpoints: [id], excluding: [ids[0], ids[1], ids[2], ids[3]]) == t0.plus(20))
        }
    }

    @Test("deliveries are listed newest first, by endpoint, status, generation and message, a page at a time; one comes with its attempts",
          arguments: StoreBackend.available)
    func listings(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let a = try await database.addEndpoint("a")
            _ = try await database.addEndpoint("b")
            let first = try await database.submitted(at: t0, remaining: 500)
            let second = try await database.submitted(at: t0.plus(1), remaining: 500)

            let all = try await database.deliveries(matching: DeliveryFilter()).compactMap(\.delivery.id)
            #expect(all.count == 8)
            #expect(all == all.sorted(by: >))
            var page = DeliveryFilter()
            page.limit = 3
            let head = try await database.deliveries(matching: page).compactMap(\.delivery.id)
            page.before = head.last
            let next = try await database.deliveries(matching: page).compactMap(\.delivery.id)
            #expect(head + next == Array(all.prefix(6)))

            let ofFirst = try await database.deliveries(matching: DeliveryFilter(generation: first.row))
            #expect(ofFirst.count == 4 && ofFirst.allSatisfy { $0.message.generation == first.row })
            let message = try #require(try await database.generationMessages(of: second.row).first)
            let ofMessage = try await database.deliveries(matching: DeliveryFilter(message: message.sequence))
            #expect(ofMessage.count == 2 && ofMessage.allSatisfy { $0.message == message && $0.attempts.isEmpty })

            let delivered = try #require(try await database.deliveryIDs(to: a).first)
            _ = try await database.recordAttempt(attemptReport(delivered, at: t0.plus(5), status: 200, verdict: .delivered))
            #expect(try await database.deliveries(matching: DeliveryFilter(status: .delivered)).map(\.delivery.id) == [delivered])
            #expect(try await database.deliveries(matching: DeliveryFilter(endpoint: a.id, status: .pending)).count == 3)
            let one = try #require(try await database.delivery(delivered))
            #expect(one.attempts.map(\.httpStatus) == [200] && one.delivery.lastAttemptAt == t0.plus(5) && one.message.generation == first.row)
            #expect(try await database.delivery(999) == nil)
        }
    }

    @Test("delivery stats count pending deliveries, their oldest message, and endpoints enabled or not", arguments: StoreBackend.available)
    func stats(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            #expect(try await database.deliveryStats() == DeliveryStats(pending: 0, oldestPendingCreatedAt: nil, enabledEndpoints: 0, disabledEndpoints: 0))
            let a = try await database.addEndpoint("a")
            let b = try await database.addEndpoint("b")
            _ = try await database.setEndpointEnabled(try #require(b.id), false, reason: "by hand", at: t0)
            _ = try await database.submitted(at: t0.plus(5), remaining: 500)
            _ = try await database.submitted(at: t0.plus(9), remaining: 500)
            #expect(try await database.deliveryStats() == DeliveryStats(pending: 4, oldestPendingCreatedAt: t0.plus(5), enabledEndpoints: 1, disabledEndpoints: 1))

            for delivery in try await database.deliveryIDs(to: a).prefix(2) {
                _ = try await database.recordAttempt(attemptReport(delivery, at: t0.plus(10), status: 204, verdict: .delivered))
            }
            #expect(try await database.deliveryStats() == DeliveryStats(pending: 2, oldestPendingCreatedAt: t0.plus(9), enabledEndpoints: 1, disabledEndpoints: 1))
        }
    }
}

@Suite("Retention: the oldest rows, a batch at a time")
struct RetentionStoreTests {
    @Test("events, attempts, deliveries and messages before the cutoff go from the head of their table, with what hangs off them",
          arguments: StoreBackend.available)
    func pruneHeads(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let endpoint = try await database.addEndpoint("a")
            _ = try await database.submitted(at: t0, remaining: 500)
            let earlyEvents = try await database.count("events")
            try #require(earlyEvents > 0)
            _ = try await database.submitted(at: t0.plus(100), remaining: 500)
            let events = try await database.count("events")
            let ids = try await database.deliveryIDs(to: endpoint)
            try #require(ids.count == 4)
            for (index, delivery) in ids.enumerated() {
                _ = try await database.recordAttempt(attemptReport(delivery, at: t0.plus(index < 2 ? 1 : 101), status: 500,
                                                                   verdict: .retry(at: t0.plus(1000))))
            }

            #expect(try await database.pruneEvents(receivedBefore: t0.plus(50), batch: 100) == earlyEvents)
            #expect(try await database.count("events") == events - earlyEvents)

            #expect(try await database.pruneAttempts(madeBefore: t0.plus(50), batch: 1) == 1)
            #expect(try await database.count("delivery_attempts") == 3)
            // The early deliveries go with their last attempt.
            #expect(try await database.pruneDeliveries(createdBefore: t0.plus(50), batch: 10) == 2)
            #expect(try await database.count("delivery_attempts") == 2)
            #expect(try await database.deliveryIDs(to: endpoint) == Array(ids.suffix(2)))

            // A batch looks at the head only: one message, then the other three, of which one is older than the cutoff.
            #expect(try await database.pruneMessages(createdBefore: t0.plus(150), batch: 1) == 1)
            #expect(try await database.pruneMessages(createdBefore: t0.plus(50), batch: 10) == 1)
            #expect(try await database.count("messages") == 2)
            #expect(try await database.pruneMessages(createdBefore: t0.plus(150), batch: 10) == 2)
            #expect(try await database.count("deliveries") == 0)
            #expect(try await database.count("delivery_attempts") == 0)
        }
    }
}
