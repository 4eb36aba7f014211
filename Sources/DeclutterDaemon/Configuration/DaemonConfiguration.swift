import DeclutterAPI
import DeclutterStore
import Foundation
import Logging

/// A `host:port` to listen on.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (`[::1]:8788` for IPv6); nil when malformed or the port is out of range.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// What `init(parsing:)` reads, for error messages.
    public static let expected = "host:port with a port from 0 to 65535 ([::1]:8788 for IPv6)"

    /// True for 127.0.0.0/8, ::1 and localhost.
    public var isLoopback: Bool { HostNames.isLoopback(host) }

    /// Whether both cannot be bound at once: the same port (not 0, which picks a free one) on the same host, on
    /// `localhost` and 127.0.0.1, or with either on every address (`0.0.0.0`, `::`).
    public func overlaps(_ other: ListenAddress) -> Bool {
        guard port == other.port, port != 0 else { return false }
        let names = [host, other.host].map { $0 == "localhost" ? "127.0.0.1" : $0.lowercased() }
        return names[0] == names[1] || names.contains { $0 == "0.0.0.0" || $0 == "::" }
    }
}

/// The polling fallback's timings and bounds (docs/callbacks-and-polling.md).
public struct PollingConfiguration: Sendable, Equatable {
    /// How long a callback may take before the first poll.
    public var callbackGrace: Duration = .seconds(600)
    public var initialInterval: Duration = .seconds(30)
    public var maxInterval: Duration = .seconds(600)
    /// ±fraction applied to each interval.
    public var jitter = 0.2
    /// A generation without a terminal state after this long is LOST.
    public var giveUpAfter: Duration = .seconds(86_400)
    /// Polls running at once, whole daemon.
    public var maxInFlight = 4
    /// Polls started per second, whole daemon.
    public var maxPerSecond = 5.0
    /// Consecutive 400/404 answers after which a generation is LOST.
    public var lostAfterNotFound = 3

    public init() {}
}

/// `database.url` and what goes with it.
public struct DatabaseSettings: Sendable, Equatable {
    /// Without a password (the loader refuses one in the URL); the loader adds the password file's.
    public var location: PostgresLocation?
    public var passwordFile: String?
    public var maxConnections = 16
    /// How long a poll, webhook delivery or image download an instance claimed stays its own: another instance
    /// takes it over after this when the holder died. Longer than any of them can take.
    public var lease: Duration = .seconds(600)
    /// How long one store operation may wait (for a connection included) before it fails: a callback then gets 503.
    public var timeout: Duration = .seconds(10)

    public init() {}
}

/// Everything `declutterd serve` runs with.
public struct DaemonConfiguration: Sendable {
    public var upstream: DeclutterClientConfiguration
    /// Where the API key is read from when DECLUTTERD_API_KEY is not set (the key itself is in `upstream`).
    public var apiKeyFile: String?
    public var callbacksListen = ListenAddress(host: "127.0.0.1", port: 8787)
    /// `{public_base_url}/callbacks/{token}` is what the service calls back.
    public var publicBaseURL: String?
    /// Use the callback listener's own bound address as the public base URL (the demo, tests: loopback only).
    public var publicBaseURLFromListener = false
    /// Confirm a terminal callback by one retrieval call before applying it.
    public var verifyCallbacks = false
    /// Source addresses allowed to call back; empty allows any.
    public var allowFrom: [CIDR] = []
    /// How long a finished generation's callback token lives, and how much of invalid callbacks is kept.
    public var callbackRetention = CallbackRetention()
    /// Send a callback URL with variations too; by default they are polled from their submission.
    public var variationWebhook = false
    public var localListen: ListenAddress? = ListenAddress(host: "127.0.0.1", port: 8788)
    public var localSocket: String?
    /// Allow `localListen` on a non-loopback address.
    public var localAllowPublic = false
    /// Host names besides loopback accepted in the local API's `Host` header.
    public var localAllowedHosts: [String] = []
    /// Whether the local API asks for a key (docs/keys.md); required whenever `localListen` is not loopback.
    public var localAuth = LocalAuth.off
    /// How long a dashboard session lasts, and how long a one-time login link may wait to be opened.
    public var sessionLifetime: Duration = .seconds(12 * 3600)
    public var loginLinkLifetime: Duration = .seconds(300)
    /// `?wait=` requests held at once: fewer than the local connections, so that waiters never fill the listener.
    public var maxWaiters = 64
    public var databasePath = "./declutterd.sqlite"
    /// A PostgreSQL database instead of the SQLite file: several instances may share it. Its password, when it needs
    /// one, is read from `databasePasswordFile` (or `$CREDENTIALS_DIRECTORY/database_password`) into `location`.
    public var database = DatabaseSettings()
    public var polling = PollingConfiguration()
    /// Timeouts and connection caps of the listeners.
    public var connections = ConnectionLimits()
    public var logLevel: Logger.Level = .info
    /// Webhook delivery to local apps.
    public var delivery = DeliveryConfiguration()
    /// When `quota.low` goes out.
    public var outboxPolicy = OutboxPolicy()
    /// `GET /v1/events`.
    public var eventStreams = EventStreamConfiguration()
    /// How long events, messages and archived images are kept.
    public var retention = HistoryRetention()
    /// The result archive and uploads.
    public var archive = ArchiveConfiguration()

    public init(upstream: DeclutterClientConfiguration) {
        self.upstream = upstream
    }

    /// Every default, with a placeholder account (user id and API key have none).
    public static let defaults = DaemonConfiguration(upstream: DeclutterClientConfiguration(
        baseURL: "https://iacrea.com", userID: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), apiKey: ""))
}
