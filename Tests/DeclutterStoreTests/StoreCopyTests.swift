import Crypto
import DeclutterAPI
@testable import DeclutterStore
import Foundation
import Logging
import TestSupport
import Testing

/// `declutterd store copy`: a SQLite store moved into an empty PostgreSQL database.
@Suite("Copying a SQLite store into PostgreSQL")
struct StoreCopyTests {
    /// The seeded source (`seed`) in a temporary directory, and the copy of it into a fresh schema of the test server.
    struct Setup {
        let path: String
        let archive: String
        let seeded: (inFlight: Submitted, ended: Submitted, sha256: String)
        let copy: PostgresCopy
    }

    static func withSetup(_ body: (Setup) async throws -> Void) async throws {
        guard StoreBackend.available.contains(.postgres) else { return }
        let directory = try TemporaryDirectory(prefix: "declutterd-copy")
        defer { directory.remove() }
        let path = directory.file("declutterd.sqlite")
        let archive = directory.file("images")
        let seeded = try await seed(path, archive: archive)
        try await withTemporaryPostgresSchema { location in
            let copy = PostgresCopy(source: path, fileAt: { archive + "/" + $0 }, target: location, leases: TestPostgres.leases, logger: Logger(label: "test"))
            try await body(Setup(path: path, archive: archive, seeded: seeded, copy: copy))
        }
    }

    /// A store with two generations (one ended, with an archived image and a callback whose body is not text, one
    /// still in flight), an endpoint and its deliveries; its archive in `archive` (flat: a file per SHA-256).
    static func seed(_ path: String, archive: String) async throws -> (inFlight: Submitted, ended: Submitted, sha256: String) {
        let content = Data("an archived result image".utf8)
        let sha256 = SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined()
        try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
        try content.write(to: URL(fileURLWithPath: archive + "/" + sha256))
        return try await withDatabase(at: path) { database in
            _ = try await database.addEndpoint("hook")
            let ended = try await database.submitted()
            let inFlight = try await database.submitted()
            _ = try await database.apply(report(succeededJSON, at: t0.plus(5)), to: ended.byToken)
            let image = try #require(try await database.files(ofRow: ended.row).images.first?.id)
            let facts = ArchivedFileFacts(sha256: sha256, bytes: Int64(content.count), contentType: "image/png", width: 1, height: 1)
            _ = try await database.recordImageAttempt(image, .archived(facts), at: t0.plus(6))
            // A listing: one photo launched (its generation and the photo refer to each other), one still queued.
            let photos = [ListingPhotoRequest(name: "a.jpg", imageURL: "https://images.example/a.jpg", auto: true),
                          ListingPhotoRequest(name: "b.png", imageURL: UploadedInput.reference(sha256: sha256), auto: true,
                                              files: [ListingFile(role: .image, file: facts)])]
            _ = try await database.createListing(ListingRequest(reference: "L-copy", allowPartial: false, photos: photos), at: t0.plus(6))
            let photo = try #require(try await database.photosAwaitingLaunch(limit: 1).first?.id)
            _ = try await database.beginSubmission(SubmissionRequest(kind: .generation, imageURL: "https://images.example/a.jpg", auto: true,
                                                                     listingPhoto: photo), at: t0.plus(6))
            let binary = Data([0xff, 0x00, 0x7b])
            _ = try await database.apply(StatusReport(source: .callback, receivedAt: t0.plus(7), rawBody: binary,
                                                      payload: RetrievalPayloadValidator.validate(binary), rescheduleIfPending: .atLeast(t0)),
                                         to: ended.byToken)
            return (inFlight, ended, sha256)
        }
    }

    @Test("every row goes over as it was (ids, tokens, secrets, bodies), the files into the database, the sequence goes on; a second copy is refused")
    func copyIntoPostgres() async throws {
        try await Self.withSetup { setup in
            let seeded = setup.seeded
            let copy = setup.copy
            let location = copy.target
            let before = try await withDatabase(at: setup.path) { database in
                (messages: try await database.messages(matching: MessageFilter()).sorted { $0.sequence < $1.sequence },
                 events: try await database.events(forRow: seeded.ended.row), endpoints: try await database.endpoints(),
                 latest: try await database.latestMessageSequence(), listing: try await database.listing(reference: "L-copy"))
            }
            let copied = try await copy.run()
            #expect(copied.first { $0.table == "generations" }?.rows == 3)
            #expect(copied.first { $0.table == "listing_photos" }?.rows == 2)
            #expect(copied.first { $0.table == "messages" }?.rows == before.messages.count)
            #expect(copied.first { $0.table == "files" }?.rows == 1)

            let store = try await TestPostgres.open(location, maximumConnections: 2)
            #expect(try await store.messages(matching: MessageFilter()).sorted { $0.sequence < $1.sequence } == before.messages)
            #expect(try await store.events(forRow: seeded.ended.row) == before.events, "bodies that are not text included")
            #expect(try await store.endpoints() == before.endpoints, "secrets included")
            #expect(try await store.listing(reference: "L-copy") == before.listing, "the listing, its photos and the launch between them")
            #expect(try await store.photosAwaitingLaunch(limit: 5).map(\.name) == ["b.png"], "the queued photo is still queued")
            #expect(try await store.fileContents(sha256: seeded.sha256) == Data("an archived result image".utf8))
            // The generation in flight: its callback, under the token the old database gave, is applied here.
            let late = try await store.apply(report(succeededJSON, at: t0.plus(9)), to: seeded.inFlight.byToken)
            #expect(late?.outcome == .applied)
            #expect(try await store.latestMessageSequence() == before.latest + 1, "no id given twice, none skipped")
            try await store.close()

            await #expect(throws: CopyRefusal.targetNotEmpty(location.redacted, table: "projects")) { try await copy.run() }
        }
    }

    @Test("a copy that fails (an archived file missing) commits nothing: once the file is back, the same copy runs")
    func failedCopyLeavesTheTargetEmpty() async throws {
        try await Self.withSetup { setup in
            let file = setup.archive + "/" + setup.seeded.sha256
            let content = try Data(contentsOf: URL(fileURLWithPath: file))
            try FileManager.default.removeItem(atPath: file)
            await #expect(throws: CopyRefusal.fileMissing(sha256: setup.seeded.sha256, path: file)) { try await setup.copy.run() }
            try content.write(to: URL(fileURLWithPath: file))
            let copied = try await setup.copy.run()
            #expect(copied.first { $0.table == "generations" }?.rows == 3)
        }
    }
}
