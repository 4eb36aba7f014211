import DeclutterStore

/// Runs `body` on a store in a fresh SQLite file in its own temporary directory (its writes committed beside
/// it), closed and removed afterwards.
public func withTemporaryDatabase<T: Sendable>(_ body: (AppDatabase, String) async throws -> T) async throws -> T {
    let directory = try TemporaryDirectory(prefix: "declutterd-store")
    defer { directory.remove() }
    let path = directory.file("declutterd.sqlite")
    let database = try AppDatabase.open(path: path)
    defer { try? database.close() }
    return try await database.withWrites { try await body($0, path) }
}
