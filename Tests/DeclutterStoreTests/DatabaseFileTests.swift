@testable import DeclutterStore
import Foundation
import TestSupport
import Testing

/// The SQLite file on disk: private to its owner, and whole by itself after a clean close.
@Suite("The database file")
struct DatabaseFileTests {
    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("a new database and its WAL are created 0600, whatever the umask")
    func createdPrivate() async throws {
        let old = umask(0o022)
        defer { umask(old) }
        try await withTemporaryDatabase { database, path in
            _ = try await database.track(generationID: UUID(), at: Date(), firstPollAt: Date())
            #expect(try Self.mode(path) == 0o600)
            #expect(try Self.mode(path + "-wal") == 0o600)
        }
    }

    @Test("after a clean close the WAL is empty: the .sqlite file alone holds every row")
    func checkpointedOnClose() async throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-file")
        defer { directory.remove() }
        let path = directory.file("declutterd.sqlite")
        try await withDatabase(at: path) { database in
            for _ in 0..<20 { _ = try await database.track(generationID: UUID(), at: Date(), firstPollAt: Date()) }
        }
        let walBytes = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(walBytes == 0, "the WAL holds \(walBytes) bytes")
        // A copy of the main file alone, as an operator backing it up with cp would take
        let copy = directory.file("copy.sqlite")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let counted = try await withDatabase(at: copy) { database in try await database.stats().countsByState.values.reduce(0, +) }
        #expect(counted == 20)
    }
}
