@testable import DeclutterDaemon
import DeclutterAPI
import DeclutterStore
import Foundation
import Logging
import TestSupport
import Testing

@Suite("History retention")
struct HistoryPrunerTests {
    @Test("a round prunes events and messages past their retention, in batches, and keeps the rest")
    func pruneKeepsWhatIsWithinRetention() async throws {
        try await withTemporaryDatabase { database, _ in
            let day = 86_400.0
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            // Given an endpoint, so that each message has a delivery, each with one attempt
            _ = try await database.createEndpoint(EndpointRecord(url: "http://127.0.0.1:9/app", description: nil, types: nil,
                                                                 secret: "whsec_a", createdAt: start))
            // and 5 generations tracked 40 days ago and 3 tracked 10 days ago (one event-less message each)
            for index in 0..<8 {
                let at = start.addingTimeInterval(index < 5 ? 0 : 30 * day)
                _ = try await database.track(generationID: UUID(), at: at, firstPollAt: at.addingTimeInterval(60))
                _ = try await database.markLost(row: Int64(index + 1), reason: "test", at: at)  // one event each
            }
            for listing in try await database.deliveries(matching: DeliveryFilter()) {
                _ = try await database.recordAttempt(AttemptReport(
                    deliveryID: listing.delivery.id ?? 0, round: 1, attemptedAt: listing.message.createdAt, httpStatus: 204,
                    latencyMilliseconds: 1, response: nil, error: nil, verdict: .delivered, disableIfFailingSince: nil))
            }
            let now = start.addingTimeInterval(40 * day)
            let pruner = HistoryPruner(database: database, retention: HistoryRetention(events: .seconds(35 * 86_400), messages: .seconds(20 * 86_400)),
                                       logger: Logger(label: "test"), clock: .system, batch: 2)
            // When a round runs 40 days after the first ones
            let pruned = try await pruner.prune(at: now)
            // Then the 5 old events (older than 35 d) and the 10 old messages (older than 20 d) are gone
            #expect(pruned.events == 5)
            #expect(pruned.messages == 10)
            #expect(try await database.messages(matching: MessageFilter()).count == 6)
            let kept = try await database.deliveries(matching: DeliveryFilter())
            #expect(kept.count == 6 && kept.allSatisfy { $0.message.createdAt > now.addingTimeInterval(-20 * day) })
            let attempts = try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM delivery_attempts") }
            #expect(attempts == 6)
            #expect(try await pruner.prune(at: now) == (0, 0, 0))
        }
    }
}
