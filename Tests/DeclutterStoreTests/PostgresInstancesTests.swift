@testable import DeclutterStore
import Foundation
import TestSupport
import Testing

/// What only PostgreSQL has: several instances on one database. Each test opens two stores on one schema, as two
/// `declutterd serve` processes would.
@Suite("PostgreSQL: instances sharing one database", .enabled(if: StoreBackend.testPostgresURL != nil, "needs DECLUTTERD_TEST_POSTGRES"))
struct PostgresInstancesTests {
    /// Two stores (instances "a" and "b") on one fresh schema.
    func withTwoInstances(pollLease: Duration = .seconds(60), deliveryLease: Duration = .seconds(60),
                          _ body: (PostgresStore, PostgresStore) async throws -> Void) async throws {
        try await withTemporaryPostgresSchema { location in
            var a = try await TestPostgres.open(location, maximumConnections: 4, instance: "a")
            var b = try await TestPostgres.open(location, maximumConnections: 4, instance: "b")
            a.leases.poll = pollLease
            b.leases.poll = pollLease
            a.leases.delivery = deliveryLease
            b.leases.delivery = deliveryLease
            do {
                try await body(a, b)
            } catch {
                try? await a.close()
                try? await b.close()
                throw error
            }
            try await a.close()
            try await b.close()
        }
    }

    @Test("instances starting together migrate once, one after the other, and each finds the schema complete")
    func migrationsTakeTurns() async throws {
        try await withTemporaryPostgresSchema { location in
            let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
                // Each waits for the others' turns under the migration lock: on a loaded machine the last one's open
                // (bounded as a whole by openTimeout) took over 30 s once.
                for index in 0..<4 {
                    group.addTask {
                        try await TestPostgres.open(location, maximumConnections: 2, instance: "i\(index)",
                                                     openTimeout: .seconds(180))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let applied = try await stores[0].value("SELECT count(*) FROM declutterd_migrations", as: Int.self)
            #expect(applied == PostgresSchema.migrations.count)
            for store in stores { _ = try await store.stats() }
            for store in stores { try await store.close() }
        }
    }

    @Test("a database with a migration this binary does not know is refused, naming it, and nothing is written")
    func newerSchemaIsRefused() async throws {
        try await withTemporaryPostgresSchema { location in
            let store = try await TestPostgres.open(location, maximumConnections: 2)
            _ = try await store.submitted()
            _ = try await store.transaction { tx in
                try await tx.execute("INSERT INTO declutterd_migrations (identifier) VALUES ('v99: from a newer declutterd')")
            }
            try await store.close()

            let refusal = await #expect(throws: DatabaseRefusal.self) { try await TestPostgres.open(location, maximumConnections: 2) }
            #expect(refusal == .newerSchema(path: location.redacted, unknownMigrations: ["v99: from a newer declutterd"]))
        }
    }

    @Test("another application's tables are refused, and get none of declutterd's")
    func foreignTablesAreRefused() async throws {
        try await withTemporaryPostgresSchema { location in
            let url = try #require(StoreBackend.testPostgresURL)
            let schema = try #require(location.parameters["options"]?.split(separator: "=").last.map(String.init))
            try await TestPostgres.run(url, "CREATE TABLE \(schema).invoices (id integer PRIMARY KEY)")

            let refusal = await #expect(throws: DatabaseRefusal.self) { try await TestPostgres.open(location, maximumConnections: 2) }
            #expect(refusal == .foreign(path: location.redacted, tables: ["invoices"], tableCount: 1))
        }
    }

    @Test("a due generation is claimed by one instance: the other finds nothing due and waits for the lease")
    func aPollIsClaimedOnce() async throws {
        try await withTwoInstances { a, b in
            let submitted = try await a.submitted(firstPollAt: t0.plus(10))
            let claimedByA = try await a.claimDueGenerations(at: t0.plus(20), limit: 10)
            let claimedByB = try await b.claimDueGenerations(at: t0.plus(20), limit: 10)
            #expect(claimedByA.map(\.id) == [submitted.row])
            #expect(claimedByB.isEmpty, "a generation polled by a must not be polled by b meanwhile")
            // b sleeps until a's lease ends, not until a poll date it may not take.
            #expect(try await b.nextPollDate(excluding: []) == t0.plus(20 + 60))
            #expect(try await a.claimDueGenerations(at: t0.plus(20), limit: 10).isEmpty, "nor polled by a twice at once")
            #expect(try await a.nextPollDate(excluding: [submitted.row]) == nil)
        }
    }

    @Test("claims made at once by both instances never overlap (SKIP LOCKED), and together take every due generation")
    func concurrentClaimsNeverOverlap() async throws {
        try await withTwoInstances { a, b in
            var rows: Set<Int64> = []
            for index in 0..<40 { rows.insert(try await a.submitted(firstPollAt: t0.plus(Double(index) / 10)).row) }
            let (fromA, fromB) = try await withThrowingTaskGroup(of: (String, [Int64]).self) { group in
                for (name, store) in [("a", a), ("b", b)] {
                    group.addTask {
                        var claimed: [Int64] = []
                        for _ in 0..<10 { claimed += try await store.claimDueGenerations(at: t0.plus(60), limit: 3).compactMap(\.id) }
                        return (name, claimed)
                    }
                }
                var claims: [String: [Int64]] = [:]
                for try await (name, claimed) in group { claims[name] = claimed }
                return (claims["a"] ?? [], claims["b"] ?? [])
            }
            #expect(Set(fromA).isDisjoint(with: fromB))
            #expect(Set(fromA).union(fromB) == rows)
        }
    }

    static let quotaLow = QuotaLowView(remainingPhotos: 3, threshold: 10, generationID: nil, recordedAt: "2027-01-15T08:00:00Z")

    /// A transaction that has published a message (its id taken and locked) and stays open until `commit()`.
    struct OpenPublication {
        let release: AsyncStream<Void>.Continuation
        let task: Task<Void, any Error>

        /// Returns once the message is published, the transaction still open.
        static func start(on store: PostgresStore) async -> OpenPublication {
            let (held, release) = AsyncStream<Void>.makeStream()
            let (begun, begin) = AsyncStream<Void>.makeStream()
            let task = Task {
                try await store.transaction { tx in
                    try await tx.insertMessages([Outbox.quotaLowMessage(PostgresInstancesTests.quotaLow, at: t0)])
                    begin.yield()
                    for await _ in held { break }
                }
            }
            for await _ in begun { break }
            return OpenPublication(release: release, task: task)
        }

        func commit() async throws {
            release.yield()
            try await task.value
        }
    }

    @Test("a reader stops before a message still being committed, and a rolled-back id does not hold it up")
    func messagesCommittedOutOfOrder() async throws {
        try await withTwoInstances { a, b in
            let view = Self.quotaLow
            // a's transaction takes id 1 and stays open; b's takes id 2 and commits.
            let slow = await OpenPublication.start(on: a)
            try await b.transaction { tx in try await tx.insertMessages([Outbox.quotaLowMessage(view, at: t0.plus(1))]) }
            #expect(try await b.messages(matching: MessageFilter(after: 0)).isEmpty, "2 is committed, but 1 may still come")
            try await slow.commit()
            #expect(try await b.messages(matching: MessageFilter(after: 0)).map(\.sequence) == [1, 2])
            // A transaction that took id 3 and rolled back leaves a gap nobody holds: 4 is read past it.
            _ = try? await a.transaction { tx in
                try await tx.insertMessages([Outbox.quotaLowMessage(view, at: t0.plus(2))])
                throw StoreError.closed
            }
            try await b.transaction { tx in try await tx.insertMessages([Outbox.quotaLowMessage(view, at: t0.plus(3))]) }
            #expect(try await a.messages(matching: MessageFilter(after: 2)).map(\.sequence) == [4])
        }
    }

    /// Advisory locks belong to the whole database: without the schema in the key, a transaction publishing id 1 in one
    /// schema held up the readers of every other schema at their own missing id 1 (the tests share a database, one
    /// schema each, and failed that way at random; so would two deployments sharing one database).
    @Test("a message being committed in another schema of the same database does not hold this schema's readers up")
    func messageLocksStayInTheirSchema() async throws {
        try await withTwoInstances { other, _ in
            try await withTwoInstances { a, _ in
                let view = Self.quotaLow
                // Given the other schema's transaction holding its id 1, open
                let open = await OpenPublication.start(on: other)
                // When this schema's id 1 rolls back and its id 2 commits
                _ = try? await a.transaction { tx in
                    try await tx.insertMessages([Outbox.quotaLowMessage(view, at: t0)])
                    throw StoreError.closed
                }
                try await a.transaction { tx in try await tx.insertMessages([Outbox.quotaLowMessage(view, at: t0.plus(1))]) }
                // Then a reader here passes over the gap at 1: nothing of this schema holds it
                #expect(try await a.messages(matching: MessageFilter(after: 0)).map(\.sequence) == [2])
                try await open.commit()
            }
        }
    }

    @Test("an instance following the other's changes hears of the generations the other changes, and of none changed before")
    func changesOfTheOtherInstanceAreHeard() async throws {
        try await withTwoInstances { a, b in
            let before = try await a.submitted()  // a message about it, before b follows
            let (heard, hear) = AsyncStream<Int64>.makeStream()
            let following = Task { await b.followChanges(generationChanged: { hear.yield($0) }) }
            defer { following.cancel() }
            // a keeps changing generations until b hears of one: no guess at when b began following.
            let changing = Task {
                for _ in 0..<100 where !Task.isCancelled {
                    _ = try? await a.submitted()
                    try? await Task.sleep(for: .milliseconds(100))
                }
                hear.finish()  // 10 s of changes and nothing heard: the test fails rather than waits
            }
            defer { changing.cancel() }
            var iterator = heard.makeAsyncIterator()
            let first = try #require(await iterator.next())
            #expect(first > before.row, "one a changed after b followed (rows grow); not the one changed before")
        }
    }

    @Test("an instance that stops hands its leases back: the other takes its claimed polls at once, not when the leases end")
    func aStopHandsLeasesBack() async throws {
        try await withTwoInstances(pollLease: .seconds(30)) { a, b in
            let submitted = try await a.submitted(firstPollAt: t0.plus(10))
            #expect(try await a.claimDueGenerations(at: t0.plus(20), limit: 10).map(\.id) == [submitted.row])
            #expect(try await b.claimDueGenerations(at: t0.plus(21), limit: 10).isEmpty)
            try await a.close()
            #expect(try await b.claimDueGenerations(at: t0.plus(21), limit: 10).map(\.id) == [submitted.row])
        }
    }

    @Test("the lease of an instance that died (it never wrote the poll's result) is taken over once it expires")
    func anExpiredLeaseIsTakenOver() async throws {
        try await withTwoInstances(pollLease: .seconds(30)) { a, b in
            let submitted = try await a.submitted(firstPollAt: t0.plus(10))
            #expect(try await a.claimDueGenerations(at: t0.plus(20), limit: 10).map(\.id) == [submitted.row])
            try await a.closeConnections()  // a dies holding the lease until t0 + 50

            #expect(try await b.claimDueGenerations(at: t0.plus(49), limit: 10).isEmpty)
            #expect(try await b.claimDueGenerations(at: t0.plus(51), limit: 10).map(\.id) == [submitted.row])
            // b's answer ends its own lease: the generation is anyone's again at its next poll date.
            _ = try await b.apply(report(#"{"status": "PROCESSING"}"#, source: .poll, at: t0.plus(52), reschedule: .atLeast(t0.plus(70))),
                                  to: .row(submitted.row))
            let lease = try await b.first("SELECT poll_lease_owner FROM generations WHERE id = \(submitted.row)") { try $0.decode(String?.self) }
            #expect(lease == .some(nil))
        }
    }

    @Test("one Idempotency-Key sent to both instances at once makes one generation; the other replays it")
    func idempotencyHoldsAcrossInstances() async throws {
        try await withTwoInstances { a, b in
            let request = SubmissionRequest(kind: .generation, imageURL: "https://example.com/room.jpg", auto: true, idempotencyKey: "same-key")
            let starts = try await withThrowingTaskGroup(of: SubmissionStart.self) { group in
                for store in [a, b, a, b] { group.addTask { try await store.beginSubmission(request, at: t0) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let new = starts.compactMap { if case .new(let record) = $0 { record.id } else { nil } }
            let replayed = starts.compactMap { if case .replay(let record) = $0 { record.id } else { nil } }
            #expect(new.count == 1)
            #expect(replayed.count == 3)
            #expect(Set(replayed) == Set(new))
            #expect(try await a.count("generations") == 1)
        }
    }

    @Test("deliveries claimed at once by both instances never overlap (SKIP LOCKED), and together take every due delivery")
    func concurrentDeliveryClaimsNeverOverlap() async throws {
        try await withTwoInstances { a, b in
            let endpoint = try await a.addEndpoint("app")
            for index in 0..<20 { _ = try await a.submitted(at: t0.plus(Double(index) / 10), remaining: 500) }
            let due = Set(try await a.deliveryIDs(to: endpoint))
            try #require(due.count == 40)
            let (fromA, fromB) = try await withThrowingTaskGroup(of: (String, [Int64]).self) { group in
                for (name, store) in [("a", a), ("b", b)] {
                    group.addTask {
                        var claimed: [Int64] = []
                        for _ in 0..<10 {
                            claimed += try await store.dueDeliveries(to: endpoint, at: t0.plus(60), excluding: [], limit: 3).compactMap(\.delivery.id)
                        }
                        return (name, claimed)
                    }
                }
                var claims: [String: [Int64]] = [:]
                for try await (name, claimed) in group { claims[name] = claimed }
                return (claims["a"] ?? [], claims["b"] ?? [])
            }
            #expect(Set(fromA).isDisjoint(with: fromB))
            #expect(fromA.count + fromB.count == due.count, "no delivery is claimed twice, even by one instance")
            #expect(Set(fromA).union(fromB) == due)
            // Every delivery is leased until t0 + 60 + 60: neither instance wakes for them before.
            #expect(try await a.nextAttemptDate(endpoints: [try #require(endpoint.id)], excluding: []) == t0.plus(120))
            #expect(try await b.nextAttemptDate(endpoints: [try #require(endpoint.id)], excluding: []) == t0.plus(120))
        }
    }

    @Test("a delivery claimed by an instance that died (it never recorded the attempt) is claimed by the other once its lease expires")
    func anExpiredDeliveryLeaseIsTakenOver() async throws {
        try await withTwoInstances(deliveryLease: .seconds(30)) { a, b in
            let endpoint = try await a.addEndpoint("app")
            let id = try #require(endpoint.id)
            _ = try await a.submitted(at: t0, remaining: 500)
            let claimed = try await a.dueDeliveries(to: endpoint, at: t0.plus(10), excluding: [], limit: 10).compactMap(\.delivery.id)
            #expect(claimed == (try await a.deliveryIDs(to: endpoint)))
            try #require(claimed.count == 2)
            try await a.closeConnections()  // a dies holding the leases until t0 + 40

            #expect(try await b.dueDeliveries(to: endpoint, at: t0.plus(39), excluding: [], limit: 10).isEmpty)
            // b sleeps until a's leases end, not until the due date it may not take.
            #expect(try await b.nextAttemptDate(endpoints: [id], excluding: []) == t0.plus(40))
            #expect(try await b.dueDeliveries(to: endpoint, at: t0.plus(41), excluding: [], limit: 10).compactMap(\.delivery.id) == claimed)
            #expect(try await b.dueDeliveries(to: endpoint, at: t0.plus(41), excluding: [], limit: 10).isEmpty, "nor attempted by b twice at once")

            // b's recorded attempt ends its own lease: the delivery is anyone's again at its next attempt.
            _ = try await b.recordAttempt(attemptReport(claimed[0], at: t0.plus(42), status: 500, verdict: .retry(at: t0.plus(100))))
            let lease = try await b.first("SELECT lease_owner, lease_until FROM deliveries WHERE id = \(claimed[0])") {
                try $0.decode((String?, Date?).self)
            }
            #expect(lease.map { $0.0 == nil && $0.1 == nil } == true)
            #expect(try await b.nextAttemptDate(endpoints: [id], excluding: [claimed[1]]) == t0.plus(100))
            #expect(try await b.dueDeliveries(to: endpoint, at: t0.plus(100), excluding: [claimed[1]], limit: 10).compactMap(\.delivery.id) == [claimed[0]])
        }
    }

    @Test("endpoints created at once on both instances stop at the limit")
    func endpointLimitHoldsAcrossInstances() async throws {
        try await withTwoInstances { a, b in
            let created = try await withThrowingTaskGroup(of: EndpointRecord?.self) { group in
                for index in 0..<8 {
                    let store = index.isMultiple(of: 2) ? a : b
                    let record = EndpointRecord(url: "http://127.0.0.1:9/\(index)", description: nil, types: nil, secret: "whsec_\(index)", createdAt: t0)
                    group.addTask { try await store.createEndpoint(record, limit: 3) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(created.compactMap { $0 }.count == 3)
            #expect(try await a.count("endpoints") == 3)
        }
    }
}
