import DeclutterAPI
@testable import DeclutterStore
import Foundation
import GRDB
import TestSupport
import Testing

@Suite("Archive store: result images queued with SUCCEEDED, attempts recorded, generation.archived, pruning, uploads")
struct ArchiveStoreTests {
    static let twoImages = #"{"status": "SUCCEEDED", "images": ["https://cdn.example.com/out/1.png", "https://cdn.example.com/out/2.png"]}"#

    static func file(_ seed: String) -> ArchivedFileFacts {
        ArchivedFileFacts(sha256: String(repeating: seed, count: 64), bytes: 1000, contentType: "image/png", width: 4, height: 3)
    }

    @Test("SUCCEEDED queues one pending image per URL, due at once, in the same transaction; a duplicate queues nothing more", arguments: StoreBackend.available)
    func succeededQueuesImages(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            #expect(try await database.count("images") == 0)
            _ = try await database.apply(report(Self.twoImages, at: t0.plus(5)), to: submitted.byToken)
            let files = try await database.files(ofRow: submitted.row)
            #expect(files.images.map(\.position) == [0, 1])
            #expect(files.images.map(\.sourceURL) == ["https://cdn.example.com/out/1.png", "https://cdn.example.com/out/2.png"])
            #expect(files.images.allSatisfy { $0.state == .pending && $0.nextAttemptAt == t0.plus(5) })
            // The generation.succeeded message already lists them, pending.
            let message = try #require(try await database.generationMessages(of: submitted.row).last)
            #expect(message.type == .generationSucceeded)
            #expect(message.body.contains(#""state":"pending""#))

            _ = try await database.apply(report(Self.twoImages, at: t0.plus(6)), to: submitted.byToken)
            #expect(try await database.count("images") == 2)
            #expect(try await database.dueImages(at: t0.plus(5), excluding: [], limit: 10).count == 2)
            #expect(try await database.dueImages(at: t0.plus(4), excluding: [], limit: 10).isEmpty)
        }
    }

    @Test("a retry stays pending until its time; once every image settles, one generation.archived with the files and a new version", arguments: StoreBackend.available)
    func attemptsAndArchivedMessage(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            _ = try await database.apply(report(Self.twoImages, at: t0.plus(5)), to: submitted.byToken)
            let images = try await database.files(ofRow: submitted.row).images
            let (first, second) = (try #require(images[0].id), try #require(images[1].id))
            let version = try await database.row(submitted.row).version

            #expect(try await database.beginImageAttempt(first, at: t0.plus(5), retryAt: t0.plus(15)))
            #expect(try await database.beginImageAttempt(second, at: t0.plus(5), retryAt: t0.plus(15)))
            #expect(try await database.dueImages(at: t0.plus(10), excluding: [], limit: 10).isEmpty, "an attempt begun is not due again")
            try await database.recordImageAttempt(first, .archived(Self.file("a")), at: t0.plus(6))
            try await database.recordImageAttempt(second, .retry(reason: "HTTP 404", httpStatus: 404, retryAt: t0.plus(16)), at: t0.plus(6))
            #expect(try await database.generationMessages(of: submitted.row).last?.type == .generationSucceeded, "one image still pending")
            #expect(try await database.dueImages(at: t0.plus(10), excluding: [], limit: 10).isEmpty)
            #expect(try await database.nextImageAttemptDate(excluding: []) == t0.plus(16))
            #expect(try await database.nextImageAttemptDate(excluding: [second]) == nil)
            #expect(try await database.dueImages(at: t0.plus(16), excluding: [], limit: 10).map(\.id) == [second])

            #expect(try await database.beginImageAttempt(second, at: t0.plus(16), retryAt: t0.plus(26)))
            let failed = try await database.recordImageAttempt(second, .failed(reason: "HTTP 404", httpStatus: 404), at: t0.plus(16))
            #expect(failed?.state == .failed)
            #expect(failed?.attempts == 2)
            #expect(failed?.lastError == "HTTP 404")
            #expect(try await database.recordImageAttempt(second, .archived(Self.file("b")), at: t0.plus(17)) == nil, "settled images stay as they are")
            #expect(try await database.beginImageAttempt(second, at: t0.plus(17), retryAt: t0.plus(27)) == false)

            let messages = try await database.generationMessages(of: submitted.row)
            #expect(messages.filter { $0.type == .generationArchived }.count == 1)
            let archived = try #require(messages.last)
            #expect(archived.type == .generationArchived)
            #expect(archived.version == version + 1)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(archived.body.utf8)) as? [String: Any])
            let data = try #require(body["data"] as? [String: Any])
            let archive = try #require(data["archive"] as? [[String: Any]])
            #expect(archive.map { $0["state"] as? String } == ["archived", "failed"])
            #expect(archive[0]["url"] as? String == "/v1/generations/\(submitted.row)/images/0")
            #expect(archive[0]["sha256"] as? String == Self.file("a").sha256)
            #expect(archive[1]["error"] as? String == "HTTP 404")
            let counts = try await database.archiveCounts()
            #expect(counts.archived == 1 && counts.failed == 1 && counts.pending == 0 && counts.archivedBytes == 1000)
        }
    }

    @Test("pruning marks the images and uploads of generations ended before the cutoff, and names only files nothing kept refers to", arguments: StoreBackend.available)
    func pruning(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let old = try await database.submitted()
            let recent = try await database.submitted()
            _ = try await database.apply(report(Self.twoImages, at: t0.plus(5)), to: old.byToken)
            _ = try await database.apply(report(Self.twoImages, at: t0.plus(5000)), to: recent.byToken)
            let oldImages = try await database.files(ofRow: old.row).images
            let recentImages = try await database.files(ofRow: recent.row).images
            // "a" is kept by the recent generation too; "b" only by the old one.
            try await database.recordImageAttempt(try #require(oldImages[0].id), .archived(Self.file("a")), at: t0.plus(6))
            try await database.recordImageAttempt(try #require(oldImages[1].id), .archived(Self.file("b")), at: t0.plus(6))
            try await database.recordImageAttempt(try #require(recentImages[0].id), .archived(Self.file("a")), at: t0.plus(5001))

            let pruned = try await database.pruneImages(endedBefore: t0.plus(100), batch: 10, at: t0.plus(9000))
            #expect(pruned.rows == 2)
            #expect(pruned.unreferenced == [Self.file("b").sha256])
            #expect(try await database.files(ofRow: old.row).images.map(\.state) == [.pruned, .pruned])
            #expect(try await database.files(ofRow: recent.row).images.map(\.state) == [.archived, .pending])
            #expect(try await database.pruneImages(endedBefore: t0.plus(100), batch: 10, at: t0.plus(9000)).rows == 0)
        }
    }

    @Test("uploads are written with their generation, found by their token's hash, and shown without it", arguments: StoreBackend.available)
    func uploads(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let photo = Self.file("c")
            let request = SubmissionRequest(
                kind: .generation, imageURL: UploadedInput.reference(sha256: photo.sha256), auto: true,
                uploads: [UploadedInput(role: .image, tokenHash: "token-hash", file: photo)])
            guard case .new(let record) = try await database.beginSubmission(request, at: t0) else { Issue.record("not new"); return }
            let row = try #require(record.id)
            let (upload, generation) = try #require(try await database.upload(tokenHash: "token-hash"))
            #expect(upload.generation == row && upload.role == .image && upload.sha256 == photo.sha256)
            #expect(generation.imageURL == "upload:" + photo.sha256)
            #expect(UploadedInput.sha256(ofReference: generation.imageURL) == photo.sha256)
            #expect(try await database.upload(tokenHash: "other") == nil)
            #expect(try await database.uploadedFile(sha256: photo.sha256) == photo)
            let created = try #require(try await database.generationMessages(of: row).first)
            #expect(created.body.contains(#""role":"image""#))
            #expect(!created.body.contains("token-hash"), "the token's hash is not shown")
        }
    }

    @Test("a generation's images past the first 16 are recorded failed, never downloaded", arguments: StoreBackend.available)
    func imagesPerGenerationCapped(_ backend: StoreBackend) async throws {
        try await withTemporaryStore(backend) { database in
            let submitted = try await database.submitted()
            let urls = (0..<20).map { #""https://cdn.example.com/out/\#($0).png""# }.joined(separator: ", ")
            _ = try await database.apply(report(#"{"status": "SUCCEEDED", "images": [\#(urls)]}"#, at: t0.plus(5)), to: submitted.byToken)
            let images = try await database.files(ofRow: submitted.row).images
            #expect(images.count == 20)
            #expect(images.filter { $0.state == .pending }.count == ImageRecord.maximumPerGeneration)
            #expect(images.suffix(4).allSatisfy { $0.state == .failed && $0.lastError?.contains("first 16") == true })
        }
    }
}
