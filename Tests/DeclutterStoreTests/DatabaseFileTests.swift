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
}
