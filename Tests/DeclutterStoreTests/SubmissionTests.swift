import DeclutterAPI
import DeclutterStore
import Foundation
import TestSupport
import Testing

@Suite("Submissions")
struct SubmissionTests {
    static func answer(_ generationID: UUID = UUID(), project: UUID? = UUID(), remaining: Int = 41) -> SubmissionAnswer {
        SubmissionAnswer(generationID: generationID, projectID: project, remainingPhotos: remaining, rawBody: Data("{}".utf8))
    }

    @Test(arguments: StoreBackend.available) func beginRecordsSubmittingWithTheTokenHash(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let token = CallbackToken.random()
            let row = try await database.beginRow(callbackTokenHash: token.hash)
            let stored = try await database.row(row)
            #expect(stored.status == .submitting)
            #expect(stored.callbackTokenHash == token.hash)
            #expect(stored.generationID == nil)
            #expect(try await database.generation(.callbackTokenHash(token.hash))?.id == row)
        }
    }

    @Test(arguments: StoreBackend.available) func acceptedStoresIdsProjectQuotaAndFirstPoll(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let row = try await database.beginRow()
            let answer = Self.answer(remaining: 41)
            let result = try await database.recordAccepted(answer, forRow: row, at: t0.plus(1), firstPollAt: t0.plus(600))
            #expect(result.outcome == .applied)
            #expect(result.event.source == .submission)
            let stored = try await database.row(row)
            #expect(stored.status == .starting)
            #expect(stored.generationID == answer.generationID)
            #expect(stored.projectID == answer.projectID)
            #expect(stored.remainingPhotos == 41)
            #expect(stored.submittedAt == t0.plus(1))
            #expect(stored.nextPollAt == t0.plus(600))
            #expect(try await database.project(try #require(answer.projectID)) != nil)
            let quota = try #require(try await database.latestQuota())
            #expect(quota.remainingPhotos == 41)
            #expect(quota.generation == row)
            #expect(quota.recordedAt == t0.plus(1))
        }
    }

    @Test(arguments: StoreBackend.available) func callbackBeforeTheAcceptKeepsItsState(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            // Given a callback that beats the generate response
            let token = CallbackToken.random()
            let row = try await database.beginRow(callbackTokenHash: token.hash)
            let early = try await database.apply(report(#"{"status": "PROCESSING"}"#, at: t0.plus(1)), to: .callbackTokenHash(token.hash))
            #expect(early?.outcome == .applied)
            // When the response comes
            let answer = Self.answer()
            let accepted = try await database.recordAccepted(answer, forRow: row, at: t0.plus(2), firstPollAt: t0.plus(600))
            // Then the generation stays where the callback brought it, with the ids of the answer
            #expect(accepted.outcome == .stale)
            let stored = try await database.row(row)
            #expect(stored.status == .processing)
            #expect(stored.generationID == answer.generationID)
            #expect(stored.remainingPhotos == answer.remainingPhotos)
        }
    }

    @Test(arguments: StoreBackend.available) func rejectedIsFinalAndNeverPolled(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let row = try await database.beginRow()
            let result = try await database.recordRejected(forRow: row, httpStatus: 400, reason: "bad image_url",
                                                           rawBody: Data(#"{"error": "bad"}"#.utf8), at: t0.plus(1))
            #expect(result.outcome == .applied)
            #expect(result.event.httpStatus == 400)
            let stored = try await database.row(row)
            #expect(stored.status == .rejected)
            #expect(stored.statusReason == "bad image_url")
            #expect(stored.nextPollAt == nil)
            #expect(try await database.latestQuota() == nil, "a refusal spends no photo")
        }
    }

    @Test(arguments: StoreBackend.available) func unknownOutcomeStaysSubmittingWithTheReason(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let row = try await database.beginRow()
            let result = try await database.recordOutcomeUnknown(forRow: row, reason: "timeout after sending", httpStatus: nil, at: t0.plus(30),
                                                                 giveUpAt: t0.plus(86_400))
            #expect(result.outcome == .rejected)
            let stored = try await database.row(row)
            #expect(stored.status == .submitting)
            #expect(stored.statusReason == "timeout after sending")
        }
    }

    @Test(arguments: StoreBackend.available) func sameIdempotencyKeyAndRequestReplaysTheFirst(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let request = SubmissionRequest(kind: .generation, imageURL: "https://example.com/a.jpg", auto: true, idempotencyKey: "key-1")
            guard case .new(let first) = try await database.beginSubmission(request, at: t0) else {
                Issue.record("the first use of a key must start a new generation")
                return
            }
            let replay = try await database.beginSubmission(request, at: t0.plus(5))
            #expect(replay == .replay(first))
            #expect(try await database.count("generations") == 1)
            #expect(try await database.count("idempotency_keys") == 1)
        }
    }

    @Test(arguments: StoreBackend.available) func sameIdempotencyKeyWithAnotherRequestIsRefused(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let first = SubmissionRequest(kind: .generation, imageURL: "https://example.com/a.jpg", auto: true, idempotencyKey: "key-1")
            _ = try await database.beginSubmission(first, at: t0)
            var other = first
            other.imageURL = "https://example.com/b.jpg"
            await #expect(throws: StoreError.idempotencyKeyReused(key: "key-1")) {
                try await database.beginSubmission(other, at: t0.plus(1))
            }
            #expect(try await database.count("generations") == 1)
        }
    }

    @Test(arguments: StoreBackend.available) func variationBumpsItsProjectsCount(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let parent = try await database.submitted()
            #expect(try await database.project(parent.projectID)?.variationsCount == 0)
            let request = SubmissionRequest(kind: .variation, imageURL: "https://example.com/room.jpg",
                                            parentGenerationID: parent.generationID, projectID: parent.projectID)
            guard case .new(let variation) = try await database.beginSubmission(request, at: t0.plus(10)) else {
                Issue.record("a variation must start a new generation")
                return
            }
            _ = try await database.recordAccepted(Self.answer(project: nil), forRow: try #require(variation.id), at: t0.plus(11), firstPollAt: t0.plus(600))
            #expect(try await database.project(parent.projectID)?.variationsCount == 1)
            #expect(try await database.row(try #require(variation.id)).projectID == parent.projectID)
        }
    }

    @Test(arguments: StoreBackend.available) func generationIDOfAnotherRowIsRefused(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let existing = try await database.submitted()
            let row = try await database.beginRow()
            await #expect(throws: StoreError.generationIDTaken(existing.generationID)) {
                try await database.recordAccepted(Self.answer(existing.generationID), forRow: row, at: t0, firstPollAt: t0.plus(600))
            }
            #expect(try await database.row(row).status == .submitting)
        }
    }
}
