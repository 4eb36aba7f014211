import DeclutterStore
import Foundation
import PostgresNIO

/// The backends the store's suite runs against: SQLite always; PostgreSQL when `DECLUTTERD_TEST_POSTGRES` names
/// a server (`scripts/with-postgres.sh` starts a throwaway one and sets it; `.ci/run` always does).
public enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    public static let available: [StoreBackend] = testPostgresURL == nil ? [.sqlite] : allCases

    /// The server the PostgreSQL cases use.
    public static let testPostgresURL = ProcessInfo.processInfo.environment["DECLUTTERD_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

    public var description: String { rawValue }
}

/// Runs `body` on a fresh, empty store of `backend` (SQLite: a file in its own temporary directory; PostgreSQL:
/// a schema of its own in the test server), its writes committed beside it; closed and removed afterwards.
public func withTemporaryStore<T: Sendable>(_ backend: StoreBackend, _ body: (any Store) async throws -> T) async throws -> T {
    switch backend {
    case .sqlite:
        try await withTemporaryDatabase { database, _ in try await body(database) }
    case .postgres:
        try await withTemporaryPostgresSchema { location in
            let store = try await TestPostgres.open(location, maximumConnections: 4)
            do {
                let result = try await body(store)
                try await store.close()
                return result
            } catch {
                try? await store.close()
                throw error
            }
        }
    }
}

/// Runs `body` with the location of a new, empty schema in the test server (its search path), dropped afterwards.
public func withTemporaryPostgresSchema<T: Sendable>(_ body: (PostgresLocation) async throws -> T) async throws -> T {
    let (schema, location) = try await TestPostgres.newSchema()
    do {
        let result = try await body(location)
        try await TestPostgres.dropSchema(schema)
        return result
    } catch {
        try? await TestPostgres.dropSchema(schema)
        throw error
    }
}

public struct TestPostgresMissing: Error, CustomStringConvertible {
    public var description: String { "DECLUTTERD_TEST_POSTGRES is not set: run the tests with scripts/with-postgres.sh" }
}

/// One statement on its own connection to the test server.
public enum TestPostgres {
    /// The leases of the stores tests open (a daemon's come from `database.lease`): a minute, longer than any claimed
    /// work takes in a test; tests of a lease running out set their own.
    public static let leases = PostgresStore.Leases(.seconds(60))

    /// A store on the test server, as tests open one: the whole suite shares that server, so an operation may wait its
    /// turn on a loaded machine (a minute, as the harness's daemons' do), and so may the migrations of a new schema
    /// while a hundred others migrate at the suite's start. A store that truly does not answer still fails, then.
    public static func open(_ location: PostgresLocation, leases: PostgresStore.Leases = leases, maximumConnections: Int,
                            instance: String? = nil, openTimeout: Duration = .seconds(120)) async throws -> PostgresStore {
        try await PostgresStore.open(location, leases: leases, maximumConnections: maximumConnections, instance: instance,
                                     operationTimeout: .seconds(60), openTimeout: openTimeout)
    }

    /// A new, empty schema in the test server, and the location of it (its search path).
    public static func newSchema() async throws -> (name: String, location: PostgresLocation) {
        guard let url = StoreBackend.testPostgresURL else { throw TestPostgresMissing() }
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await run(url, "CREATE SCHEMA \(schema)")
        var location = try PostgresLocation(url: url)
        location.parameters["options"] = "-c search_path=\(schema)"
        return (schema, location)
    }

    public static func dropSchema(_ schema: String) async throws {
        guard let url = StoreBackend.testPostgresURL else { throw TestPostgresMissing() }
        try await run(url, "DROP SCHEMA \(schema) CASCADE")
    }

    public static func run(_ url: String, _ sql: String) async throws {
        let location = try PostgresLocation(url: url)
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: .init(label: "test-postgres"))
        do {
            _ = try await connection.simpleQuery(sql).get()
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
