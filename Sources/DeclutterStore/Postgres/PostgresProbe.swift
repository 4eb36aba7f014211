import Foundation
import Logging
import PostgresNIO

/// The store could not be reached in time: the text says why as well as it is known (never with a password).
public struct StoreUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// Why PostgreSQL cannot be reached, found with one fresh connection of its own.
enum PostgresProbe {
    /// Nil when a connection opens within `limit` (the server answers: the pool was only busy).
    /// Bounded as a whole: a server (or a proxy before it) that takes the connection and never answers its startup
    /// is reported as such at `limit`.
    static func why(_ location: PostgresLocation, within limit: Duration) async -> String? {
        let silent = "PostgreSQL at \(location.redacted) does not answer"
        return (try? await Deadline.run(within: limit, onTimeout: { StoreUnavailable(reason: silent) }) { () -> String? in
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: location.connectionConfiguration(timeout: limit), id: 0, logger: Logger(label: "declutterd.postgres.probe"))
                try? await connection.close()
                return nil
            } catch {
                return "PostgreSQL at \(location.redacted) is unreachable: \(describe(error))"
            }
        }) ?? silent
    }

    /// What a postgres-nio error says, without the query text or anything bound to it.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return String(describing: underlying) }
        return String(describing: error.code)
    }
}
