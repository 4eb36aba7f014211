import DeclutterStore
import Foundation
import TestSupport
import Testing

/// `declutterd store copy` as an operator runs it: what it prints, and its exit codes.
@Suite("declutterd store copy")
struct StoreCopyCLITests {
    @Test("no file at --from: exit 66 naming it, before any connection")
    func missingSource() async throws {
        let run = try await CLI.run(clean: true, ["store", "copy", "--from", "/nonexistent/declutterd.sqlite", "--archive-dir", "/nonexistent",
                                                  "--to", "postgres://declutterd@127.0.0.1:1/declutterd"])
        #expect(run.status == 66, "\(run)")
        #expect(run.stderr.contains("no database at /nonexistent/declutterd.sqlite"), "\(run)")
    }

    @Test("a copy prints each table with its rows and commits; the same copy again is refused with 73, the target unchanged")
    func copyThenRefuse() async throws {
        guard let server = StoreBackend.testPostgresURL else { return }
        let directory = try TemporaryDirectory(prefix: "declutterd-copy-cli")
        defer { directory.remove() }
        let path = directory.file("declutterd.sqlite")
        try await withDatabase(at: path) { database in
            for _ in 0..<3 { _ = try await database.track(generationID: UUID(), at: Date(), firstPollAt: Date()) }
        }
        let (schema, location) = try await TestPostgres.newSchema()
        let target = server + "?options=-c%20search_path%3D" + schema
        let arguments = ["store", "copy", "--from", path, "--archive-dir", directory.file("images"), "--to", target]

        let first = try await CLI.run(clean: true, arguments, timeout: .seconds(120))
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout.contains("verified, committed"), "\(first)")
        #expect(first.stdout.split(separator: "\n").contains { $0.contains("generations") && $0.contains(" 3 rows") }, "\(first)")

        let again = try await CLI.run(clean: true, arguments, timeout: .seconds(120))
        #expect(again.status == 73, "\(again)")
        #expect(again.stderr.contains("is not empty"), "\(again)")
        let store = try await TestPostgres.open(location, maximumConnections: 1)
        #expect(try await store.generations(matching: GenerationFilter()).count == 3)
        try await store.close()
        try await TestPostgres.dropSchema(schema)
    }
}
