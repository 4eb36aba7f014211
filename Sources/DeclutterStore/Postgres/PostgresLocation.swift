import Foundation
import NIOSSL
import PostgresNIO

/// A PostgreSQL database as `database.url` names it: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMS]`
/// (`postgresql://` too). PARAMS, as libpq reads them: `host=/run/postgresql` (a unix socket folder, instead of
/// the URL's host), `sslmode=disable|prefer|require`, `options=-c search_path=...`, `application_name=...`.
/// The password may come from elsewhere (a credential file): `password` overrides the URL's. It is never part of
/// `redacted`, of `description`, or of any error this type throws.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var username: String
    public var password: String?
    public var host: String
    public var port: Int
    /// A unix socket folder (`?host=/path`): the socket is `<folder>/.s.PGSQL.<port>`.
    public var socketFolder: String?
    public var database: String
    public var sslMode: SSLMode
    /// Further startup parameters (`options`, `application_name`).
    public var parameters: [String: String]

    public enum SSLMode: String, Sendable {
        case disable, prefer, require
    }

    /// Why a URL is not one this reads; the text never holds the password.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let rule: String
        public var description: String { "database.url: \(rule)" }
    }

    public init(url text: String, password: String? = nil) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql" else {
            throw Invalid(rule: "must be postgres://USER@HOST[:PORT]/DATABASE (or postgresql://)")
        }
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else {
            throw Invalid(rule: "names no user (postgres://USER@HOST/DATABASE)")
        }
        let database = String(components.path.dropFirst()).removingPercentEncoding ?? ""
        guard !database.isEmpty, !database.contains("/") else {
            throw Invalid(rule: "names no database (postgres://USER@HOST/DATABASE)")
        }
        var parameters: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard let value = item.value else { throw Invalid(rule: "parameter \(item.name) has no value") }
            parameters[item.name] = value
        }
        let socketFolder = parameters.removeValue(forKey: "host")
        guard components.host?.isEmpty == false || socketFolder != nil else {
            throw Invalid(rule: "names no host (postgres://USER@HOST/DATABASE, or ?host=/socket/folder)")
        }
        let mode = parameters.removeValue(forKey: "sslmode") ?? "prefer"
        guard let sslMode = SSLMode(rawValue: mode) else {
            throw Invalid(rule: "sslmode must be disable, prefer or require (not \(mode))")
        }
        let unknown = parameters.keys.filter { !["options", "application_name"].contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw Invalid(rule: "unknown parameter \(unknown.joined(separator: ", ")) (known: host, sslmode, options, application_name)")
        }
        self.username = user
        self.password = password ?? components.password?.removingPercentEncoding
        self.host = components.host ?? "localhost"
        self.port = components.port ?? 5432
        self.socketFolder = socketFolder
        self.database = database
        self.sslMode = sslMode
        self.parameters = parameters
    }

    /// The URL with any password shown as `***`: what logs, `check-config` and `/readyz` may print.
    public var redacted: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        if password != nil { components.password = "***" }
        components.host = host
        components.port = port
        components.path = "/" + database
        var items = parameters.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        if let socketFolder { items.insert(URLQueryItem(name: "host", value: socketFolder), at: 0) }
        if sslMode != .prefer { items.append(URLQueryItem(name: "sslmode", value: sslMode.rawValue)) }
        components.queryItems = items.isEmpty ? nil : items
        return components.string ?? "postgres://\(username)@\(host):\(port)/\(database)"
    }

    public var description: String { redacted }

    /// Redacted too, so that printing anything that holds a location (a store in a debug log) shows no password.
    public var debugDescription: String { redacted }

    public var customMirror: Mirror { Mirror(self, children: ["url": redacted]) }

    /// TLS as libpq's `prefer` and `require` mean it: encrypted, the server's certificate not checked (a stock
    /// server's is self-signed). libpq's `verify-ca`/`verify-full` are not offered yet.
    static var tlsWithoutVerification: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return configuration
    }

    /// Startup parameters for every connection: the URL's `options` and `application_name`, and the server-side
    /// bounds that keep an abandoned statement or transaction from holding locks (`statementTimeout`), and a dead
    /// client's session (and its advisory locks) from outliving it by TCP's hours (keepalives every 5 s).
    func startupParameters(statementTimeout: Duration) -> [(String, String)] {
        let milliseconds = Int(statementTimeout.seconds * 1000)
        let bounds = "-c statement_timeout=\(milliseconds) -c idle_in_transaction_session_timeout=\(milliseconds * 2) "
            + "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"
        var parameters = self.parameters
        parameters["options"] = [parameters["options"], bounds].compactMap { $0 }.joined(separator: " ")
        return parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// One connection's settings (a probe's, or a dedicated one's), given up after `timeout`.
    func connectionConfiguration(timeout: Duration) -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketFolder {
            configuration = .init(unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS = switch sslMode {
            case .disable: .disable
            case .prefer: .prefer(try! .init(configuration: Self.tlsWithoutVerification))
            case .require: .require(try! .init(configuration: Self.tlsWithoutVerification))
            }
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
        configuration.options.connectTimeout = .init(timeout)
        configuration.options.additionalStartupParameters = startupParameters(statementTimeout: timeout)
        return configuration
    }

    /// The connection pool's settings, `maximumConnections` at most.
    func clientConfiguration(maximumConnections: Int, statementTimeout: Duration) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketFolder {
            configuration = .init(unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS = switch sslMode {
            case .disable: .disable
            case .prefer: .prefer(Self.tlsWithoutVerification)
            case .require: .require(Self.tlsWithoutVerification)
            }
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 1
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = startupParameters(statementTimeout: statementTimeout)
        return configuration
    }
}
