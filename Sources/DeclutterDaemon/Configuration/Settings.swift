import DeclutterAPI
import DeclutterStore
import Foundation
import Logging

/// One setting of `declutterd serve`, declared once: its file key, environment name, flag, default, parser,
/// printer and one-line doc. The loader, `--set`, the `DECLUTTERD_*` names, `check-config`'s report and the
/// validation messages all come from `Setting.all`; tests check `config/declutterd.toml` and
/// `docs/configuration.md` against it.
public struct Setting: Sendable {
    /// `upstream.base_url`: `base_url` under `[upstream]` in the file.
    public let key: String
    /// The long flag of `serve` and `check-config`, when it has one besides `--set`.
    public let flag: String?
    /// One line for people: the docs, `--help`.
    public let doc: String
    /// What a value looks like, for error messages.
    public let expecting: String
    /// Required settings have no default: start-up stops without them.
    public let required: Bool
    /// Reads `text` into the configuration; false when it is not a valid value.
    let apply: @Sendable (String, inout DaemonConfiguration) -> Bool
    /// The effective value as a string `apply` reads back; nil when unset.
    let show: @Sendable (DaemonConfiguration) -> String?

    /// `DECLUTTERD_UPSTREAM_BASE_URL` for `upstream.base_url`.
    public var environmentName: String { "DECLUTTERD_" + key.uppercased().replacingOccurrences(of: ".", with: "_") }

    /// The value when nothing sets it, as `check-config` prints it; nil when there is none.
    public var defaultText: String? { required ? nil : show(.defaults) }

    /// A setting read by `parse` and stored at `path`.
    init<Value>(_ key: String, flag: String? = nil, _ doc: String, at path: WritableKeyPath<DaemonConfiguration, Value> & Sendable,
                expecting: String, required: Bool = false,
                parse: @escaping @Sendable (String) -> Value?, show: @escaping @Sendable (Value) -> String?) {
        self.key = key
        self.flag = flag
        self.doc = doc
        self.expecting = expecting
        self.required = required
        self.apply = { text, configuration in
            guard let value = parse(text) else { return false }
            configuration[keyPath: path] = value
            return true
        }
        self.show = { show($0[keyPath: path]) }
    }
}

// MARK: - The table

extension Setting {
    public static let all: [Setting] = [
        .url("upstream.base_url", flag: "upstream-base-url", "The Decluttering API to call.", at: \.upstream.baseURL),
        Setting("upstream.user_id", flag: "user-id", "Your account's user id; the API key must belong to it.", at: \.upstream.userID,
                expecting: "a UUID", required: true, parse: { UUID(uuidString: $0) }, show: { $0.lowercaseString }),
        .text("upstream.api_key_file", "A file holding the API key (default: $CREDENTIALS_DIRECTORY/api_key); the key itself is never a setting.",
              at: \.apiKeyFile, expecting: "a path"),
        .listen("callbacks.listen", flag: "callbacks-listen", "The public listener for the service's callbacks.", at: \.callbacksListen),
        .optionalURL("callbacks.public_base_url", flag: "public-base-url",
                     "The URL the service reaches the callback listener at; callback URLs are this plus /callbacks/{token}.",
                     at: \.publicBaseURL),
        .bool("callbacks.verify", "Confirm a terminal callback with one retrieval call before applying it.", at: \.verifyCallbacks),
        Setting("callbacks.allow_from", "Source addresses allowed to call back, as CIDR ranges; empty allows any.", at: \.allowFrom,
                expecting: "comma-separated addresses or CIDR ranges, e.g. 10.0.0.0/8,::1",
                parse: Setting.ranges,
                show: { $0.isEmpty ? nil : $0.map(\.description).joined(separator: ",") }),
        .duration("callbacks.token_ttl", "A finished generation's callback URL is accepted this long after it ended; then it answers 404.",
                  at: \.callbackRetention.tokenTTL, minimum: .seconds(60)),
        .count("callbacks.max_rejected_events", "Callbacks that change nothing (invalid, duplicate, stale) kept per generation, bodies cut to 2 KiB; beyond it only counted.",
               at: \.callbackRetention.rejectedEvents, minimum: 0, maximum: 1000),
        .bool("callbacks.variation_webhook",
              "Send a callback URL with variations too (the service's documentation lists none: by default variations are polled).",
              at: \.variationWebhook),
        .count("callbacks.max_connections", "Connections the public listener keeps open at once; beyond it the longest idle one makes room.",
               at: \.connections.callbackConnections, minimum: 8, maximum: 100000),
        Setting("local.listen", flag: "local-listen", "The local API's TCP address (loopback only unless local.allow_public), or none.",
                at: \.localListen, expecting: ListenAddress.expected + ", or none",
                parse: { $0 == "none" ? .some(nil) : ListenAddress(parsing: $0).map { .some($0) } },
                show: { $0?.description ?? "none" }),
        .text("local.socket", flag: "local-socket", "A unix socket for the local API, as well as or instead of local.listen.",
              at: \.localSocket, expecting: "an absolute path") { $0.hasPrefix("/") },
        .bool("local.allow_public", "Allow local.listen on a non-loopback address (the local API is an admin surface).", at: \.localAllowPublic),
        Setting("local.allowed_hosts", "Host names besides loopback that the local API accepts in the Host header.", at: \.localAllowedHosts,
                expecting: "comma-separated host names, e.g. declutterd.internal",
                parse: { text in
                    let names = Setting.list(text).map { $0.lowercased() }
                    return names.allSatisfy { HostNames.isDNSName($0) } ? names : nil
                },
                show: { $0.isEmpty ? nil : $0.joined(separator: ",") }),
        Setting("local.auth", "required: every /v1 route, the event stream, /metrics and the dashboard need a key (docs/keys.md); "
                + "off: nothing is asked (only while local.listen is loopback or none).", at: \.localAuth,
                expecting: "off or required", parse: { LocalAuth(rawValue: $0.lowercased()) }, show: \.rawValue),
        .duration("local.session_ttl", "How long a dashboard session opened by a dashboard-link lasts.", at: \.sessionLifetime,
                  minimum: .seconds(60)),
        .duration("local.login_link_ttl", "How long a dashboard-link may wait to be opened (it works once).", at: \.loginLinkLifetime,
                  minimum: .seconds(10)),
        .count("local.max_waiters", "Requests holding ?wait= at once (fewer than local.max_connections); beyond it 503 with Retry-After.",
               at: \.maxWaiters, minimum: 1, maximum: 10000),
        .count("local.max_connections", "Connections the local API keeps open at once (TCP and socket together).",
               at: \.connections.localConnections, minimum: 8, maximum: 100000),
        .text("database.path", flag: "database-path", "The SQLite database file (unless database.url is set).", at: \.databasePath,
              expecting: "a path") { !$0.isEmpty },
        Setting("database.url", "A PostgreSQL database instead of the SQLite file, shared by any number of instances: "
                + "postgres://USER@HOST[:PORT]/DATABASE[?sslmode=require]. Never with a password: see database.password_file.",
                at: \.database.location, expecting: "postgres://USER@HOST[:PORT]/DATABASE, without a password",
                parse: { text in (try? PostgresLocation(url: text)).flatMap { $0.password == nil ? .some($0) : nil } },
                show: { $0?.redacted }),
        .text("database.password_file", "A file holding the PostgreSQL password (default: $CREDENTIALS_DIRECTORY/database_password "
              + "when it exists); the password itself is never a setting.", at: \.database.passwordFile, expecting: "a path"),
        .count("database.max_connections", "PostgreSQL connections this instance opens at most.", at: \.database.maxConnections, minimum: 2, maximum: 1000),
        .duration("database.lease", "PostgreSQL: how long a poll, delivery or download an instance claimed stays its own; another "
                  + "instance takes it over after this when the holder died. Longer than any of them takes; a submission younger than "
                  + "this may be another instance's, in flight, and is not scheduled as an orphan.", at: \.database.lease,
                  minimum: .seconds(1)),
        .duration("database.timeout", "PostgreSQL: how long one store operation may wait, for a connection included; past it the "
                  + "request fails (a callback gets 503, so the service retries it) and /readyz says why.", at: \.database.timeout,
                  minimum: .milliseconds(100)),
        .duration("polling.callback_grace", "How long a callback may take before the first poll of a generation.",
                  at: \.polling.callbackGrace, minimum: .seconds(1)),
        .duration("polling.initial_interval", "The first interval between polls (doubling from there); a variation's first poll.",
                  at: \.polling.initialInterval, minimum: .seconds(1)),
        .duration("polling.max_interval", "The longest interval between polls.", at: \.polling.maxInterval, minimum: .seconds(1)),
        .duration("polling.give_up_after", "A generation without a terminal state after this long is LOST.", at: \.polling.giveUpAfter,
                  minimum: .seconds(60)),
        .count("polling.max_in_flight", "Polls running at once, whole daemon.", at: \.polling.maxInFlight, minimum: 1, maximum: 1000),
        Setting("polling.max_per_second", "Polls started per second, whole daemon.", at: \.polling.maxPerSecond,
                expecting: "a number from 0.01 to 1000", parse: { Double($0).flatMap { (0.01...1000).contains($0) ? $0 : nil } }, show: Setting.number),
        .duration("http.header_timeout", "A new connection must send a whole request head within this.",
                  at: \.connections.headerTimeout, minimum: .milliseconds(100)),
        .duration("http.body_timeout", "A request body must arrive whole within this after its head.", at: \.connections.bodyTimeout,
                  minimum: .milliseconds(100)),
        .duration("http.idle_timeout", "A kept-alive connection must send its next whole request head within this.", at: \.connections.idleTimeout,
                  minimum: .milliseconds(100)),
        .duration("http.write_timeout", "An answer its peer reads nothing of for this long (the connection's output full) closes the connection.",
                  at: \.connections.writeTimeout, minimum: .milliseconds(100)),
        .count("http.max_pipelined", "Requests one connection may send ahead of their answers; nothing more is read from it meanwhile, and a "
               + "burst beyond it closes the connection.", at: \.connections.pipelineDepth, minimum: 1, maximum: 1024),
        .schedule("notify.retry_schedule", "When each delivery attempt is made: the first at once (0s), each next this long after the one before; after the last the message is failed for that endpoint.",
                  at: \.delivery.retrySchedule),
        .duration("notify.timeout", "One delivery attempt waits this long for an answer.", at: \.delivery.timeout, minimum: .milliseconds(100)),
        .duration("notify.disable_after", "An endpoint failing this long without one delivery is disabled.", at: \.delivery.disableAfter,
                  minimum: .seconds(60)),
        .count("notify.max_in_flight", "Delivery attempts in flight at once, whole daemon.", at: \.delivery.maxInFlight, minimum: 1, maximum: 1000),
        .count("notify.max_per_endpoint", "Delivery attempts in flight at once to one endpoint.", at: \.delivery.maxPerEndpoint, minimum: 1, maximum: 1000),
        Setting("notify.quota_low_threshold", "quota.low goes out when remaining_photos falls to this or below; none: never.",
                at: \.outboxPolicy.quotaLowThreshold, expecting: "a whole number, at least 0, or none",
                parse: { $0 == "none" ? .some(nil) : Int($0).flatMap { $0 >= 0 ? .some($0) : nil } },
                show: { $0.map(String.init) ?? "none" }),
        .count("local.max_event_streams", "GET /v1/events streams open at once (fewer than local.max_connections); beyond it 503 with Retry-After.",
               at: \.eventStreams.maxStreams, minimum: 1, maximum: 10000),
        .duration("local.event_stream_keepalive", "An event stream with nothing to send gets a comment this often.",
                  at: \.eventStreams.keepAlive, minimum: .milliseconds(10)),
        .duration("local.event_stream_write_timeout", "An event-stream client that takes longer than this to take one write is disconnected.",
                  at: \.eventStreams.writeTimeout, minimum: .milliseconds(10)),
        .duration("retention.events", "Events (the audit trail) older than this are pruned.", at: \.retention.events, minimum: .seconds(3600)),
        .duration("retention.messages", "Messages older than this are pruned with their deliveries and attempts.", at: \.retention.messages,
                  minimum: .seconds(3600)),
        Setting("retention.images", "Archived images and uploads of generations that ended longer ago than this are deleted from the archive; keep: never.",
                at: \.retention.images, expecting: DurationText.expected + ", at least 1h, or keep",
                parse: { $0 == "keep" ? .some(nil) : DurationText.parse($0).flatMap { $0 >= .seconds(3600) ? .some($0) : nil } },
                show: { $0.map(DurationText.format) ?? "keep" }),
        .text("archive.dir", "Where result images and uploads are kept, named by their SHA-256 (unset: an images folder beside database.path).",
              at: \.archive.directory, expecting: "a path"),
        Setting("archive.max_bytes", "The largest image kept, downloaded or uploaded, in bytes; a larger one is cut off while it streams.",
                at: \.archive.maxBytes, expecting: "a whole number of bytes, at least 1024",
                parse: { Int($0).flatMap { $0 >= 1024 ? $0 : nil } }, show: { String($0) }),
        .duration("archive.timeout", "One download, redirects included, must finish within this.", at: \.archive.timeout, minimum: .milliseconds(100)),
        .schedule("archive.retry_schedule", "When each download attempt of a result image is made: the first at once (0s), each next this long after the one before; after the last the image is failed.",
                  at: \.archive.retrySchedule),
        .count("archive.max_in_flight", "Downloads running at once, whole daemon.", at: \.archive.maxInFlight, minimum: 1, maximum: 1000),
        .bool("archive.allow_private", "Download from loopback, private, link-local and unique-local addresses too (tests, the demo; never on a server facing untrusted callbacks).",
              at: \.archive.allowPrivate),
        Setting("archive.allow_hosts", "Host names result images may come from (*.example.com for its subdomains); empty: any public host.",
                at: \.archive.allowHosts, expecting: "comma-separated host names, e.g. cdn.example.com,*.example.net",
                parse: { text in
                    let names = Setting.list(text).map { $0.lowercased() }
                    return names.allSatisfy { HostNames.isDNSName($0, wildcard: true) } ? names : nil
                },
                show: { $0.isEmpty ? nil : $0.joined(separator: ",") }),
        Setting("archive.allow_networks", "Address ranges result images may come from even though private (an internal image store), as CIDR ranges.",
                at: \.archive.allowNetworks, expecting: "comma-separated addresses or CIDR ranges, e.g. 10.20.0.0/16",
                parse: Setting.ranges, show: { $0.isEmpty ? nil : $0.map(\.description).joined(separator: ",") }),
        .duration("archive.input_grace", "An uploaded photo is served to the service until its generation ends plus this; then its URL answers 404.",
                  at: \.archive.inputGrace, minimum: .seconds(1)),
        Setting("log.level", flag: "log-level", "The least severe log level written.", at: \.logLevel,
                expecting: "one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))",
                parse: { Logger.Level(rawValue: $0.lowercased()) }, show: { $0.rawValue }),
    ]

    /// The setting with this file key.
    public static func named(_ key: String) -> Setting? { all.first { $0.key == key } }

    /// The setting with this long flag.
    public static func flagged(_ flag: String) -> Setting? { all.first { $0.flag == flag } }

    /// Environment variables that are not settings of their own but are read too.
    public static let otherEnvironmentNames = ["DECLUTTERD_API_KEY", "DECLUTTERD_CONFIG", "DECLUTTERD_URL", "DECLUTTERD_KEY"]

    /// The configuration file's name, under `$CONFIGURATION_DIRECTORY`.
    public static let fileName = "declutterd.toml"
}

// MARK: - Kinds of setting

extension Setting {
    static let httpURL = "an absolute http:// or https:// URL"
    static let boolean = "true or false"

    static func url(_ key: String, flag: String? = nil, _ doc: String, at path: WritableKeyPath<DaemonConfiguration, String> & Sendable) -> Setting {
        Setting(key, flag: flag, doc, at: path, expecting: httpURL,
                parse: { RetrievalPayloadValidator.isAbsoluteHTTPURL($0) ? $0 : nil }, show: { $0 })
    }

    static func optionalURL(_ key: String, flag: String? = nil, _ doc: String,
                            at path: WritableKeyPath<DaemonConfiguration, String?> & Sendable) -> Setting {
        Setting(key, flag: flag, doc, at: path, expecting: httpURL,
                parse: { RetrievalPayloadValidator.isAbsoluteHTTPURL($0) ? .some($0) : nil }, show: { $0 })
    }

    static func text(_ key: String, flag: String? = nil, _ doc: String, at path: WritableKeyPath<DaemonConfiguration, String> & Sendable,
                     expecting: String, valid: @escaping @Sendable (String) -> Bool) -> Setting {
        Setting(key, flag: flag, doc, at: path, expecting: expecting, parse: { valid($0) ? $0 : nil }, show: { $0 })
    }

    static func text(_ key: String, flag: String? = nil, _ doc: String, at path: WritableKeyPath<DaemonConfiguration, String?> & Sendable,
                     expecting: String, valid: @escaping @Sendable (String) -> Bool = { !$0.isEmpty }) -> Setting {
        Setting(key, flag: flag, doc, at: path, expecting: expecting, parse: { valid($0) ? .some($0) : nil }, show: { $0 })
    }

    static func bool(_ key: String, _ doc: String, at path: WritableKeyPath<DaemonConfiguration, Bool> & Sendable) -> Setting {
        Setting(key, doc, at: path, expecting: boolean, parse: parseBool, show: { String($0) })
    }

    static func duration(_ key: String, _ doc: String, at path: WritableKeyPath<DaemonConfiguration, Duration> & Sendable,
                         minimum: Duration) -> Setting {
        Setting(key, doc, at: path, expecting: DurationText.expected + ", at least \(DurationText.format(minimum))",
                parse: { DurationText.parse($0).flatMap { $0 >= minimum ? $0 : nil } }, show: DurationText.format)
    }

    /// A whole number in `minimum...maximum`: every count an outsider could make the daemon hold has a ceiling.
    static func count(_ key: String, _ doc: String, at path: WritableKeyPath<DaemonConfiguration, Int> & Sendable, minimum: Int,
                      maximum: Int) -> Setting {
        Setting(key, doc, at: path, expecting: "a whole number from \(minimum) to \(maximum)",
                parse: { Int($0).flatMap { (minimum...maximum).contains($0) ? $0 : nil } }, show: { String($0) })
    }

    static func listen(_ key: String, flag: String?, _ doc: String, at path: WritableKeyPath<DaemonConfiguration, ListenAddress> & Sendable) -> Setting {
        Setting(key, flag: flag, doc, at: path, expecting: ListenAddress.expected, parse: ListenAddress.init(parsing:), show: \.description)
    }

    /// Durations, 1 to 20 of them, the first 0s: a retry schedule.
    static func schedule(_ key: String, _ doc: String, at path: WritableKeyPath<DaemonConfiguration, [Duration]> & Sendable) -> Setting {
        Setting(key, doc, at: path, expecting: "comma-separated durations, 1 to 20 of them, the first 0s (the first attempt is immediate), e.g. 0s, 5s, 5m",
                parse: { text in
                    let steps = Setting.list(text).map(DurationText.parse)
                    guard (1...20).contains(steps.count), steps.allSatisfy({ $0 != nil }), steps.first == .zero else { return nil }
                    return steps.compactMap { $0 }
                },
                show: { $0.map(DurationText.format).joined(separator: ", ") })
    }

    /// `10.0.0.0/8, ::1` → CIDR ranges; nil when any is malformed.
    static func ranges(_ text: String) -> [CIDR]? {
        let ranges = Setting.list(text)
        let parsed = ranges.compactMap(CIDR.init)
        return parsed.count == ranges.count ? parsed : nil
    }

    static func parseBool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "1", "on": true
        case "false", "no", "0", "off": false
        default: nil
        }
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// `a, b,c` → `["a", "b", "c"]`.
    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
