import DeclutterAPI
@testable import DeclutterStore
import Foundation
import TestSupport
import Testing

/// The store's reads behind the dashboard: the chart's hourly counts, the list's kind filter, failed deliveries.
@Suite("Dashboard reads")
struct DashboardReadsTests {
    @Test("generations are counted per creation hour and outcome, from the given start on")
    func hourlyOutcomes() async throws {
        try await withTemporaryDatabase { database, _ in
            // Given one generation 2 h before t0 (outside the window), and at t0: one that succeeds, one pending,
            // and one an hour later that fails.
            _ = try await database.submitted(at: t0.plus(-7200))
            let succeeded = try await database.submitted(at: t0)
            _ = try await database.apply(report(succeededJSON, at: t0.plus(5)), to: succeeded.byToken)
            _ = try await database.submitted(at: t0.plus(10))
            let failed = try await database.submitted(at: t0.plus(3600))
            _ = try await database.apply(report(#"{"status": "FAILED"}"#, at: t0.plus(3605)), to: failed.byToken)

            let hours = try await database.hourlyOutcomes(since: t0.plus(-60))
            let first = String(StoreFormat.timestamp(t0).prefix(13))
            let second = String(StoreFormat.timestamp(t0.plus(3600)).prefix(13))
            #expect(Set(hours.keys) == [first, second])
            #expect(hours[first]?.succeeded == 1 && hours[first]?.pending == 1 && hours[first]?.endedWithoutResult == 0)
            #expect(hours[second]?.endedWithoutResult == 1 && hours[second]?.succeeded == 0)
        }
    }

    @Test("the list filters on kind; no failed delivery and no attempt counts at first")
    func kindFilterAndDeliveryCounts() async throws {
        try await withTemporaryDatabase { database, _ in
            let generation = try await database.submitted()
            let (tracked, _) = try await database.track(generationID: UUID(), at: t0, firstPollAt: t0)
            #expect(try await database.generations(matching: GenerationFilter(kind: .tracked)).map(\.id) == [tracked.id])
            #expect(try await database.generations(matching: GenerationFilter(kind: .generation)).map(\.id) == [generation.row])
            #expect(try await database.failedDeliveryCount() == 0)
            #expect(try await database.recentAttemptCounts().isEmpty)
        }
    }
}
