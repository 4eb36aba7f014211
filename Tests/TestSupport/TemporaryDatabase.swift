import DeclutterStore

/// Runs `body` on a store in a fresh SQLite file in its own temporary directory (its writes committed beside
/// it), closed and removed afterwards.
public func withTemporaryDatabase<T: Sendable>(_ body: (AppDatabase, String) async throws -> T) async throws -> T {
    let directory = try TemporaryDirectory(prefix: "declutterd-store")
    defer { directory.remove() }
    let path = directory.file("declutterd.sqlite")
    return try await withDatabase(at: path) { try await body($0, path) }
}

/// Runs `body` on the store at `path` (opened, its writes committed beside it), then closes it: for reading
/// what a daemon left, or reopening a file.
public func withDatabase<T: Sendable>(at path: String, _ body: (AppDatabase) async throws -> T) async throws -> T {
    let database = try AppDatabase.open(path: path)
    do {
        let result = try await database.withWrites(body)
        try await database.close()
        return result
    } catch {
        try? await database.close()
        throw error
    }
}
