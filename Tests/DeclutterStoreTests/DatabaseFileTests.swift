@testable import DeclutterStore
import Foundation
import TestSupport
import Testing

/// The SQLite file on disk: private to its owner.
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

    @Test("a clean close merges the WAL into the main file: a copy of the .sqlite file alone holds every row")
    func closeCheckpoints() async throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-checkpoint")
        defer { directory.remove() }
        let path = directory.file("declutterd.sqlite")
        let id = UUID()
        let database = try AppDatabase.open(path: path)
        try await database.withWrites { _ = try await $0.track(generationID: id, at: Date(), firstPollAt: Date()) }
        #expect(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0 > 0)

        try await database.close()
        try await database.close()  // a second close, as the daemon's error path may make, does nothing more

        let walSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(walSize == 0)
        let copy = directory.file("copy.sqlite")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let found = try await withDatabase(at: copy) { try await $0.generation(.generationID(id)) }
        #expect(found != nil)
    }
}
