import DeclutterAPI
import DeclutterStore
import Foundation
import TestSupport
import Testing

@Suite("Keys and budgets in the store")
struct KeyStoreTests {
    static func submission(key: String?, token: CallbackToken = .random()) -> SubmissionRequest {
        SubmissionRequest(kind: .generation, imageURL: "https://example.com/room.jpg", auto: true, callbackTokenHash: token.hash, keyName: key)
    }

    @Test(arguments: StoreBackend.available) func tokensAreFoundByHashRotatedWithGraceAndRevokedAtOnce(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let (key, token) = try await database.issueKey(name: "importer", scopes: [.read, .submit], budget: nil, at: t0)
            #expect(key.tokenHash == KeyRules.hash(token))
            #expect(token.hasPrefix("dcl_") && token.count == 47)
            #expect(try await database.key(tokenHash: KeyRules.hash(token), at: t0)?.name == "importer")
            #expect(try await database.key(tokenHash: KeyRules.hash("dcl_forged"), at: t0) == nil)
            await #expect(throws: StoreError.keyNameTaken("importer")) {
                try await database.issueKey(name: "importer", scopes: [.read], budget: nil, at: t0)
            }
            // Rotated with an hour's grace: both tokens work until it ends, then only the new one.
            let rotated = try #require(try await database.reissueToken(name: "importer", grace: .seconds(3600), at: t0.plus(10)))
            #expect(try await database.key(tokenHash: KeyRules.hash(token), at: t0.plus(3609))?.name == "importer")
            #expect(try await database.key(tokenHash: KeyRules.hash(token), at: t0.plus(3611)) == nil)
            #expect(try await database.key(tokenHash: KeyRules.hash(rotated.token), at: t0.plus(3611))?.name == "importer")
            // Revoked: neither works, at once; the name is not given again.
            #expect(try await database.revokeKey(named: "importer", at: t0.plus(20))?.key.revokedAt == t0.plus(20))
            #expect(try await database.key(tokenHash: KeyRules.hash(rotated.token), at: t0.plus(21)) == nil)
            #expect(try await database.key(tokenHash: KeyRules.hash(token), at: t0.plus(21)) == nil)
            #expect(try await database.reissueToken(name: "importer", grace: .zero, at: t0.plus(22)) == nil)
            await #expect(throws: StoreError.keyNameTaken("importer")) {
                try await database.issueKey(name: "importer", scopes: [.read], budget: nil, at: t0)
            }
        }
    }

    @Test(arguments: StoreBackend.available) func aBudgetRefusesTheSubmissionPastItAndRefusalsAndRefundsGiveBack(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            _ = try await database.issueKey(name: "bulk", scopes: [.submit], budget: KeyBudget(limit: 2, period: .day), at: t0)
            let first = CallbackToken.random()
            guard case .new(let record) = try await database.beginSubmission(Self.submission(key: "bulk", token: first), at: t0) else {
                Issue.record("not recorded")
                return
            }
            #expect(record.keyName == "bulk")
            guard case .new(let rejected) = try await database.beginSubmission(Self.submission(key: "bulk"), at: t0.plus(1)) else { return }
            // The budget is spent: a third is refused, nothing recorded.
            do {
                _ = try await database.beginSubmission(Self.submission(key: "bulk"), at: t0.plus(2))
                Issue.record("a third submission was recorded past the budget")
            } catch StoreError.budgetExhausted(let key, let budget, let used, let resetsAt) {
                #expect(key == "bulk" && budget.limit == 2 && used == 2)
                #expect(resetsAt == BudgetPeriod.day.window(containing: t0).upperBound)
            }
            #expect(try await database.generations(matching: GenerationFilter(key: "bulk")).count == 2)
            // The service refuses one (REJECTED: nothing spent): its photo comes back.
            _ = try await database.recordRejected(forRow: try #require(rejected.id), httpStatus: 402, reason: "quota", rawBody: nil, at: t0.plus(3))
            #expect(try await database.key(named: "bulk", at: t0.plus(3))?.used == 1)
            guard case .new = try await database.beginSubmission(Self.submission(key: "bulk"), at: t0.plus(4)) else { return }
            #expect(try await database.key(named: "bulk", at: t0.plus(4))?.used == 2)
            // The first one FAILED and is refunded: its photo comes back too.
            _ = try await database.apply(report(#"{"status": "FAILED"}"#, at: t0.plus(5)), to: .callbackTokenHash(first.hash))
            #expect(try await database.key(named: "bulk", at: t0.plus(5))?.used == 1)
            // The next day the window starts again.
            let tomorrow = BudgetPeriod.day.window(containing: t0).upperBound
            #expect(try await database.key(named: "bulk", at: tomorrow)?.used == 0)
            #expect(try await database.key(named: "bulk", at: tomorrow)?.window.upperBound == tomorrow.plus(86400))
        }
    }

    @Test(arguments: StoreBackend.available) func aListingIsChargedForEveryPhotoAtOnce(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            _ = try await database.issueKey(name: "editor", scopes: [.submit], budget: KeyBudget(limit: 3, period: .month), at: t0)
            let photos = (0..<2).map { ListingPhotoRequest(name: "p\($0).jpg", imageURL: "https://example.com/\($0).jpg", auto: true) }
            guard case .created(let listing) = try await database.createListing(ListingRequest(reference: "L-1", allowPartial: false, photos: photos,
                                                                                                keyName: "editor"), at: t0) else { return }
            #expect(listing.keyName == "editor")
            #expect(try await database.key(named: "editor", at: t0)?.used == 2)
            await #expect(throws: StoreError.self) {
                try await database.createListing(ListingRequest(reference: "L-2", allowPartial: false, photos: photos, keyName: "editor"), at: t0)
            }
            // A photo's launch is its listing's key's, and is not charged again.
            let photo = try #require(try await database.photosAwaitingLaunch(limit: 1).first)
            var request = Self.submission(key: nil)
            request.listingPhoto = photo.id
            guard case .new(let launched) = try await database.beginSubmission(request, at: t0.plus(1)) else { return }
            #expect(launched.keyName == "editor")
            #expect(try await database.key(named: "editor", at: t0.plus(1))?.used == 2)
        }
    }

    @Test(arguments: StoreBackend.available) func aDashboardLinkOpensOneSessionOnceUntilItExpires(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            _ = try await database.issueKey(name: "ops", scopes: [.read, .admin], budget: nil, at: t0)
            let link = DashboardSession(keyName: "ops", scopes: [.read, .admin], expiresAt: t0.plus(300))
            try await database.createDashboardLink(codeHash: KeyRules.hash("code"), for: link, at: t0)
            // An expired link opens nothing.
            #expect(try await database.openDashboardSession(codeHash: KeyRules.hash("code"), sessionHash: KeyRules.hash("s0"), expiresAt: t0.plus(999),
                                                            at: t0.plus(301)) == nil)
            try await database.createDashboardLink(codeHash: KeyRules.hash("code2"), for: link, at: t0)
            let session = try #require(try await database.openDashboardSession(codeHash: KeyRules.hash("code2"), sessionHash: KeyRules.hash("s1"),
                                                                                expiresAt: t0.plus(3600), at: t0.plus(1)))
            #expect(session.keyName == "ops" && session.scopes == [.read, .admin])
            // Once only.
            #expect(try await database.openDashboardSession(codeHash: KeyRules.hash("code2"), sessionHash: KeyRules.hash("s2"), expiresAt: t0.plus(3600),
                                                            at: t0.plus(2)) == nil)
            #expect(try await database.dashboardSession(tokenHash: KeyRules.hash("s1"), at: t0.plus(3599))?.keyName == "ops")
            #expect(try await database.dashboardSession(tokenHash: KeyRules.hash("s1"), at: t0.plus(3601)) == nil)
            #expect(try await database.dashboardSession(tokenHash: KeyRules.hash("forged"), at: t0.plus(2)) == nil)
            // Its key revoked, the session ends with it.
            _ = try await database.revokeKey(named: "ops", at: t0.plus(3))
            #expect(try await database.dashboardSession(tokenHash: KeyRules.hash("s1"), at: t0.plus(4)) == nil)
        }
    }
}
