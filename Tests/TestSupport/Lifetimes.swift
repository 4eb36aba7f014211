/// Runs `body` with `resource`, then `stop`s it whether `body` threw or not: one shape for every started
/// server, harness or daemon in the tests.
public func using<Resource, T>(_ resource: Resource, stop: (Resource) async -> Void,
                               _ body: (Resource) async throws -> T) async throws -> T {
    do {
        let result = try await body(resource)
        await stop(resource)
        return result
    } catch {
        await stop(resource)
        throw error
    }
}
