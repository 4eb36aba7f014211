import DeclutterAPI
@testable import DeclutterStore
import Foundation
import GRDB
import TestSupport
import Testing

@Suite("Outbox: a message with each change of state, in the same transaction")
struct OutboxTests {
    @Test("each change of state writes one message, with the generation as the API shows it and a growing version")
    func changesWriteMessages() async throws {
        try await withTemporaryDatabase { database, _ in
            let submitted = try await database.submitted()
            _ = try await database.apply(report(#"{"status": "PROCESSING"}"#, at: t0.plus(3)), to: submitted.byToken)
            _ = try await database.apply(report(succeededJSON, at: t0.plus(5)), to: submitted.byToken)

            let messages = try await database.generationMessages(of: submitted.row)
            #expect(messages.map(\.type) == [.generationCreated, .generationUpdated, .generationUpdated, .generationSucceeded])
            #expect(messages.map(\.version) == [1, 2, 3, 4])
            let last = try #require(messages.last)
            let body = try JSONSerialization.jsonObject(with: Data(last.body.utf8)) as? [String: Any]
            #expect(body?["type"] as? String == "generation.succeeded")
            #expect(body?["timestamp"] as? String == StoreFormat.timestamp(t0.plus(5)))
            // `data` is exactly the generation as the local API shows it now.
            let shown = try PublicJSON.encode(GenerationView(try await database.row(submitted.row), files: try await database.files(ofRow: submitted.row)))
            let data = try JSONSerialization.data(withJSONObject: body?["data"] as Any, options: [.sortedKeys, .withoutEscapingSlashes])
            #expect(try JSONSerialization.jsonObject(with: data) as? NSDictionary == JSONSerialization.jsonObject(with: shown) as? NSDictionary)
            #expect(try await database.row(submitted.row).version == 4)
        }
    }

    @Test("duplicate, stale, conflicting and invalid callbacks, and failed polls, write no message", arguments: StoreBackend.available)
    func noNewsNoMessage(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            _ = try await database.apply(report(succeededJSON, at: t0.plus(5)), to: submitted.byToken)
            let before = try await database.count("messages")

            let duplicate = try await database.apply(report(succeededJSON, at: t0.plus(6)), to: submitted.byToken)
            let stale = try await database.apply(report(#"{"status": "PROCESSING"}"#, at: t0.plus(7)), to: submitted.byToken)
            let conflict = try await database.apply(report(#"{"status": "FAILED"}"#, at: t0.plus(8)), to: submitted.byToken)
            let invalid = try await database.apply(report(#"{"status": "DONE"}"#, at: t0.plus(9)), to: submitted.byToken)
            _ = try await database.recordPollFailure(row: submitted.row, httpStatus: 500, reason: "upstream 500", rawBody: nil,
                                                     at: t0.plus(10), nextPollAt: t0.plus(70))
            _ = try await database.markLost(row: submitted.row, reason: "late give-up", at: t0.plus(11))

            #expect([duplicate?.outcome, stale?.outcome, conflict?.outcome, invalid?.outcome] == [.duplicate, .stale, .conflict, .rejected])
            #expect(try await database.count("messages") == before)
            #expect(try await database.row(submitted.row).version == 3)
        }
    }

    @Test("local decisions announce themselves: REJECTED and LOST", arguments: StoreBackend.available)
    func decisionsWriteMessages(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let refused = try await database.beginRow()
            _ = try await database.recordRejected(forRow: refused, httpStatus: 402, reason: "no photos left", rawBody: nil, at: t0.plus(1))
            let lost = try await database.submitted()
            _ = try await database.markLost(row: lost.row, reason: "no answer in 24h", at: t0.plus(86_400))

            #expect(try await database.generationMessages(of: refused).map(\.type) == [.generationCreated, .generationRejected])
            #expect(try await database.generationMessages(of: lost.row).map(\.type) == [.generationCreated, .generationUpdated, .generationLost])
        }
    }

    @Test("a write that fails after its message leaves neither the change nor the message")
    func failedWriteLeavesNoMessage() async throws {
        try await withTemporaryDatabase { database, _ in
            let submitted = try await database.submitted()
            let before = try await database.row(submitted.row)
            let messagesBefore = try await database.count("messages")
            try await database.write { db in
                try db.execute(sql: "CREATE TRIGGER refuse_messages BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'boom'); END")
            }
            await #expect(throws: DatabaseError.self) {
                try await database.apply(report(succeededJSON, at: t0.plus(5)), to: submitted.byToken)
            }
            #expect(try await database.row(submitted.row) == before)
            #expect(try await database.count("messages") == messagesBefore)
        }
    }

    @Test("a message is queued for each enabled endpoint whose filter takes its type, in the same commit", arguments: StoreBackend.available)
    func fanOutFollowsFilters(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let all = try await database.addEndpoint("all")
            let finals = try await database.addEndpoint("final", types: [.generationSucceeded, .generationFailed])
            let off = try await database.addEndpoint("off")
            _ = try await database.setEndpointEnabled(try #require(off.id), false, reason: "by hand", at: t0)

            let submitted = try await database.submitted(remaining: 500)
            _ = try await database.apply(report(succeededJSON, at: t0.plus(5)), to: submitted.byToken)

            let toAll = try await database.deliveries(matching: DeliveryFilter(endpoint: all.id))
            let toFinals = try await database.deliveries(matching: DeliveryFilter(endpoint: finals.id))
            #expect(toAll.map(\.message.type) == [.generationSucceeded, .generationUpdated, .generationCreated])
            #expect(toFinals.map(\.message.type) == [.generationSucceeded])
            #expect(try await database.deliveries(matching: DeliveryFilter(endpoint: off.id)).isEmpty)
            #expect(toAll.allSatisfy { $0.delivery.status == .pending && $0.delivery.nextAttemptAt != nil })
        }
    }

    @Test("quota.low goes out once when remaining_photos falls to the threshold, not while it stays low", arguments: StoreBackend.available)
    func quotaLowOncePerFall(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let database = try database.with(OutboxPolicy(quotaLowThreshold: 5))
            for remaining in [7, 6, 5, 4, 9, 3] {
                _ = try await database.submitted(remaining: remaining)
            }
            let lows = try await database.messages(matching: MessageFilter()).filter { $0.type == .quotaLow }
            let remaining = try lows.map { message in
                let body = try JSONSerialization.jsonObject(with: Data(message.body.utf8)) as? [String: Any]
                return (body?["data"] as? [String: Any])?["remaining_photos"] as? Int
            }
            #expect(remaining == [5, 3])
            #expect(lows.allSatisfy { $0.generation == nil && $0.version == nil })
        }
    }

    @Test("sequence numbers are never reused, even once every message was pruned", arguments: StoreBackend.available)
    func sequenceSurvivesPruning(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            _ = try await database.submitted(remaining: 500)
            let latest = try await database.latestMessageSequence()
            #expect(latest == 2)
            #expect(try await database.pruneMessages(createdBefore: t0.plus(1), batch: 100) == 2)
            #expect(try await database.latestMessageSequence() == latest)
            _ = try await database.submitted(at: t0.plus(2), remaining: 500)
            let next = try await database.messages(matching: MessageFilter(after: latest))
            #expect(next.map(\.sequence) == [3, 4])
        }
    }
}

@Suite("Deliveries: attempts as the store records them")
struct DeliveryRecordTests {
    @Test("an attempt that ends after its delivery was replayed is kept, and the replay's new round stands", arguments: StoreBackend.available)
    func replayDuringAnAttemptStands(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            _ = try await database.addEndpoint("app")
            let submitted = try await database.submitted(remaining: 500)
            let listing = try #require(try await database.deliveries(matching: DeliveryFilter(generation: submitted.row)).last)
            let delivery = try #require(listing.delivery.id)
            // Given an attempt in flight (the worker read round 0), when an operator replays the message meanwhile
            _ = try await database.redeliver(message: listing.message.sequence, at: t0.plus(1))
            _ = try await database.recordAttempt(AttemptReport(deliveryID: delivery, round: 1, attemptedAt: t0.plus(2),
                                                               httpStatus: 500, latencyMilliseconds: 5, response: nil, error: "HTTP 500",
                                                               verdict: .retry(at: t0.plus(60)), disableIfFailingSince: nil))
            // Then the attempt is a row, and the replay is still due now, at the start of its round
            let after = try #require(try await database.delivery(delivery))
            #expect(after.attempts.map(\.httpStatus) == [500])
            #expect(after.delivery.status == .pending)
            #expect(after.delivery.nextAttemptAt == t0.plus(1))
            #expect(after.delivery.roundAttempts == 0 && after.delivery.round == 2)

            // An attempt of the current round moves it on.
            _ = try await database.recordAttempt(AttemptReport(deliveryID: delivery, round: 2, attemptedAt: t0.plus(3),
                                                               httpStatus: 204, latencyMilliseconds: 5, response: nil, error: nil,
                                                               verdict: .delivered, disableIfFailingSince: nil))
            let delivered = try #require(try await database.delivery(delivery))
            #expect(delivered.delivery.status == .delivered && delivered.delivery.roundAttempts == 1 && delivered.attempts.count == 2)
        }
    }

    @Test("a delivery id is never given again once its row is gone", arguments: StoreBackend.available)
    func idsAreNotReused(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let first = try await database.addEndpoint("a")
            _ = try await database.submitted(remaining: 500)
            let before = try await database.deliveries(matching: DeliveryFilter()).compactMap(\.delivery.id).max() ?? 0
            #expect(try await database.deleteEndpoint(try #require(first.id)))
            let second = try await database.addEndpoint("b")
            #expect(try #require(second.id) > (first.id ?? 0))
            _ = try await database.submitted(at: t0.plus(1), remaining: 500)
            #expect(try await database.deliveries(matching: DeliveryFilter()).allSatisfy { ($0.delivery.id ?? 0) > before })
        }
    }
}

@Suite("Endpoints: deleting one with its history")
struct EndpointDeletionTests {
    @Test("an endpoint is deleted with every delivery and attempt of its own, a batch at a time; others keep theirs", arguments: StoreBackend.available)
    func deleteInBatches(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let doomed = try await database.addEndpoint("a")
            let kept = try await database.addEndpoint("b")
            for index in 0..<5 { _ = try await database.submitted(at: t0.plus(Double(index)), remaining: 500) }
            for listing in try await database.deliveries(matching: DeliveryFilter(endpoint: doomed.id)) {
                _ = try await database.recordAttempt(AttemptReport(deliveryID: listing.delivery.id ?? 0, round: 1, attemptedAt: t0.plus(9),
                                                                   httpStatus: 500, latencyMilliseconds: 1, response: nil, error: "HTTP 500",
                                                                   verdict: .retry(at: t0.plus(60)), disableIfFailingSince: nil))
            }
            #expect(try await database.deleteEndpoint(try #require(doomed.id), batch: 3))
            #expect(try await database.endpoint(try #require(doomed.id)) == nil)
            #expect(try await database.count("delivery_attempts") == 0)
            #expect(try await database.deliveries(matching: DeliveryFilter(endpoint: doomed.id)).isEmpty)
            #expect(try await database.deliveries(matching: DeliveryFilter(endpoint: kept.id)).count == 10)
            #expect(try await database.deleteEndpoint(try #require(doomed.id)) == false)
        }
    }
}
