import AsyncHTTPClient
import DeclutterAPI
import DeclutterStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `declutterd serve` assembled in one place (STYLE: buildApplication): the store, the upstream client,
/// the poller, the public callback listener and the local API, run as one ServiceGroup.
public final class Daemon: Sendable {
    public let configuration: DaemonConfiguration
    public let database: any Store
    public let poller: Poller
    public let deliveryWorker: DeliveryWorker
    public let archiver: ImageArchiver
    /// Where result images and uploads are kept.
    public let archiveDirectory: ArchiveDirectory
    public let metrics: DaemonMetrics
    public let readiness: Readiness
    /// The open `GET /v1/events` streams.
    let eventStreams: EventStreams
    let httpClient: HTTPClient
    let logger: Logger
    let clock: DaemonClock
    /// The connections open on the public listener, and on the local ones together.
    let callbackConnections: ConnectionRegistry
    let localConnections: ConnectionRegistry
    /// `configuration.connections`, with caps that fit the descriptor limit.
    let connectionLimits: ConnectionLimits
    private let listeners = Mutex<BoundListeners>(BoundListeners())
    private let localRoutes = Mutex<[String]>([])

    /// The addresses the listeners bound (ports resolved when configured as 0).
    public struct BoundListeners: Sendable, Equatable {
        public var callbacks: String?
        public var local: String?
        public var socket: String?
    }

    public var bound: BoundListeners { listeners.withLock { $0 } }

    /// The local API's routes as its router serves them (`METHOD /path`), once the listeners are built.
    public var servedLocalRoutes: [String] { localRoutes.withLock { $0 } }

    var now: @Sendable () -> Date { { [clock] in clock.date() } }

    /// Wires every part around `store` (nil: the SQLite file at `database.path`, as `openStore` opens it); nothing listens
    /// until `run`. Every sleep and timeout runs on `clock`, and stored dates come from it.
    public init(configuration: DaemonConfiguration, store: (any Store)? = nil, logger: Logger = Logger(label: "declutterd"),
                clock: DaemonClock = .system) throws {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.database = try store ?? Self.openSQLite(configuration)
        self.metrics = DaemonMetrics()
        let limits = DescriptorBudget.fit(configuration.connections, logger: logger)
        connectionLimits = limits
        callbackConnections = ConnectionRegistry(listener: .callbacks, capacity: limits.callbackConnections, metrics: metrics)
        localConnections = ConnectionRegistry(listener: .local, capacity: limits.localConnections, metrics: metrics)
        let archiveDirectory = ArchiveDirectory(root: configuration.archive.directory(besideDatabaseAt: configuration.databasePath))
        self.archiveDirectory = archiveDirectory
        self.readiness = Readiness(archive: ArchiveHealth(directory: archiveDirectory, maxBytes: configuration.archive.maxBytes))
        self.eventStreams = EventStreams(configuration: configuration.eventStreams, clock: clock)
        self.httpClient = DeclutterClient.makeHTTPClient()
        var pollingUpstream = configuration.upstream
        pollingUpstream.retrievalRetry = .none
        self.poller = Poller(
            database: database, client: DeclutterClient(configuration: pollingUpstream, httpClient: httpClient, logger: logger),
            schedule: PollSchedule(configuration.polling), metrics: metrics, watch: GenerationWatch(clock: clock, capacity: configuration.maxWaiters), readiness: readiness,
            logger: logger, clock: clock)
        self.deliveryWorker = DeliveryWorker(database: database, configuration: configuration.delivery, metrics: metrics,
                                             logger: logger, clock: clock)
        self.archiver = ImageArchiver(database: database, configuration: configuration.archive, directory: archiveDirectory,
                                      metrics: metrics, logger: logger, clock: clock)
    }

    /// The configured store, opened and migrated: PostgreSQL when `database.url` is set (connected, and migrated
    /// under the migration lock, one instance at a time), else the SQLite file at `database.path`. Both carry the
    /// outbox policy; PostgreSQL's leases are `database.lease`.
    public static func openStore(_ configuration: DaemonConfiguration, logger: Logger) async throws -> any Store {
        guard let location = configuration.database.location else { return try openSQLite(configuration) }
        var store = try await PostgresStore.open(location, leases: PostgresStore.Leases(configuration.database.lease),
                                                 maximumConnections: configuration.database.maxConnections,
                                                 operationTimeout: configuration.database.timeout,
                                                 // Connecting and migrating is never given less than one operation.
                                                 openTimeout: max(.seconds(30), configuration.database.timeout), logger: logger)
        store.outboxPolicy = configuration.outboxPolicy
        return store
    }

    private static func openSQLite(_ configuration: DaemonConfiguration) throws -> AppDatabase {
        var database = try AppDatabase.open(path: configuration.databasePath)
        database.outboxPolicy = configuration.outboxPolicy
        return database
    }

    /// Serves until one of `signals` arrives, then drains and closes the store. systemd hears READY=1 once
    /// the store is migrated and both listeners are bound (then `onReady` runs), WATCHDOG=1 and STATUS=
    /// while it serves, STOPPING=1 when the stop begins.
    public func run(signals: [UnixSignal] = [.sigterm, .sigint], notifier: SystemdNotifier = SystemdNotifier(),
                    onReady: @escaping @Sendable () async -> Void = {}) async throws {
        try await prepare()
        let bound = StopBound(clock: clock, onStop: stopWaiting)
        let group = makeServiceGroup(signals: signals, notifier: notifier, stopBound: bound) { [self] in
            var ready = "READY=1"
            if let stats = try? await database.stats() { ready += "\nSTATUS=" + SystemdService.status(stats) }
            notifier.notify(ready)
            await onReady()
        }
        do {
            try await bound.run(group, logger: logger)
        } catch {
            try? await httpClient.shutdown()
            try? await database.close()
            throw error
        }
        try await httpClient.shutdown()
        try await database.close()
    }

    /// The public listener's router: callbacks and the inputs the service fetches.
    func makeCallbackRouter() -> Router<CallbackContext> {
        let router = Router(context: CallbackContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: NoSniffMiddleware())
        router.add(middleware: APIErrorMiddleware())
        router.addRoutes(CallbackController(
            database: database, client: poller.client, verifyCallbacks: configuration.verifyCallbacks,
            allowFrom: configuration.allowFrom, retention: configuration.callbackRetention, schedule: PollSchedule(configuration.polling),
            metrics: metrics, watch: poller.watch, unknownTokenLog: RateLimitedLog(), now: now).endpoints)
        router.addRoutes(InputController(database: database, directory: archiveDirectory, grace: configuration.archive.inputGrace,
                                         unknownTokenLog: RateLimitedLog(), now: now).endpoints)
        router.answerWrongMethods()
        return router
    }

    /// The local API's router, behind its guard, with the dashboard's pages (never on the public listener): what the
    /// local listeners serve, and what router tests run without a socket.
    func makeLocalRouter() -> Router<LocalContext> {
        let schedule = PollSchedule(configuration.polling)
        let submitter = makeSubmitter()
        let uploads = UploadReader(directory: archiveDirectory, maxBytes: configuration.archive.maxBytes)
        let router = Router(context: LocalContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: NoSniffMiddleware())
        router.add(middleware: APIErrorMiddleware())
        router.add(middleware: LocalRequestGuard(allowedHosts: configuration.localAllowedHosts))
        if configuration.localAuth == .required {
            router.add(middleware: KeyAuthenticator(keys: database, lastUse: KeyUseRecorder(), now: now))
            router.add(middleware: ScopeGuard())
        }
        router.addRoutes(LocalAPIController(
            database: database, submitter: submitter, poller: poller, schedule: schedule, metrics: metrics,
            watch: poller.watch, readiness: readiness, streams: eventStreams, archive: archiveDirectory, uploads: uploads, now: now).endpoints)
        router.addRoutes(ListingController(database: database, uploads: uploads, archive: archiveDirectory, publicBaseURL: submitter.publicBaseURL,
                                           logger: logger, now: now).endpoints)
        router.addRoutes(DeliveryAPIController(database: database, secretOverlap: configuration.delivery.secretOverlap, now: now).endpoints)
        router.addRoutes(DashboardController(database: database, poller: poller, now: now).endpoints)
        router.addRoutes(KeysAPIController(database: database, linkLifetime: configuration.loginLinkLifetime, now: now).endpoints)
        router.addRoutes(DashboardLogin(database: database, sessionLifetime: configuration.sessionLifetime, now: now).endpoints)
        let served = router.answerWrongMethods()
        localRoutes.withLock { $0 = served }
        return router
    }

    /// What launches generations: the local API's submissions and the listing launcher's.
    func makeSubmitter() -> Submitter {
        let publicBaseURL: @Sendable () -> String? = { [self] in
            configuration.publicBaseURL ?? (configuration.publicBaseURLFromListener ? bound.callbacks : nil)
        }
        return Submitter(database: database, client: DeclutterClient(configuration: configuration.upstream, httpClient: httpClient, logger: logger),
                         publicBaseURL: publicBaseURL, variationWebhook: configuration.variationWebhook, schedule: PollSchedule(configuration.polling),
                         metrics: metrics, watch: poller.watch, poller: poller, logger: logger, now: now)
    }

    /// The services, in dependency order: a stop unwinds them in reverse, so systemd hears STOPPING=1 first,
    /// then the listeners drain their requests (and commits), then the poller stops between polls, then the
    /// delivery worker abandons its attempts in flight.
    func makeServiceGroup(signals: [UnixSignal], notifier: SystemdNotifier, stopBound: StopBound,
                          onReady: @escaping @Sendable () async -> Void) -> ServiceGroup {
        let callbackRouter = makeCallbackRouter()
        let localRouter = makeLocalRouter()

        let announceReady = OnceFlag()
        let becameBound: @Sendable () async -> Void = { [readiness] in
            if readiness.listenersBound, announceReady.claim() { await onReady() }
        }
        // The delivery worker and the archiver stop (abandoning their attempts) after the listeners and the poller,
        // before the store closes.
        var services: [any Service] = [StoreWriterService(database: database), StoreChangesService(database: database, watch: poller.watch),
                                       deliveryWorker, archiver, poller,
                                       ListingLauncher(database: database, submitter: makeSubmitter(), logger: logger, clock: clock),
                                       HistoryPruner(database: database, retention: configuration.retention, archive: archiveDirectory, logger: logger, clock: clock,
                                                     orphansGiveUpAfter: configuration.database.location == nil ? nil : configuration.polling.giveUpAfter)]
        let limits = connectionLimits
        let report = ConnectionReport(metrics: metrics, log: RateLimitedLog(), logger: logger)
        let callbackAddress = configuration.callbacksListen
        services.append(Listener(
            setting: "callbacks.listen", address: .hostname(callbackAddress.host, port: callbackAddress.port),
            description: callbackAddress.description, router: callbackRouter, registry: callbackConnections, limits: limits,
            report: report, logger: logger
        ) { [self] channel in
            listeners.withLock { $0.callbacks = "http://\(callbackAddress.host):\(channel.localAddress?.port ?? 0)" }
            readiness.callbackListenerBound()
            await becameBound()
        })
        let localBindings = (configuration.localListen == nil ? 0 : 1) + (configuration.localSocket == nil ? 0 : 1)
        if let local = configuration.localListen {
            services.append(Listener(
                setting: "local.listen", address: .hostname(local.host, port: local.port), description: local.description,
                router: localRouter, registry: localConnections, limits: limits, report: report, logger: logger
            ) { [self] channel in
                listeners.withLock { $0.local = "http://\(local.host):\(channel.localAddress?.port ?? 0)" }
                if localBindingsBound() == localBindings { readiness.localListenerBound() }
                await becameBound()
            })
        }
        if let socket = configuration.localSocket {
            // A socket left by a previous run is replaced; anything else at that path is left alone (and bind fails).
            if (try? FileManager.default.attributesOfItem(atPath: socket)[.type] as? FileAttributeType) == .typeSocket {
                try? FileManager.default.removeItem(atPath: socket)
            }
            services.append(Listener(
                setting: "local.socket", address: .unixDomainSocket(path: socket), description: socket,
                router: localRouter, registry: localConnections, limits: limits, report: report, logger: logger
            ) { [self] _ in
                listeners.withLock { $0.socket = socket }
                if localBindingsBound() == localBindings { readiness.localListenerBound() }
                await becameBound()
            })
        }
        if localBindings == 0 { readiness.localListenerBound() }
        services.append(SystemdService(notifier: notifier, database: database, readiness: readiness, logger: logger, clock: clock))
        services.append(stopBound.service)
        return ServiceGroup(configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: signals, logger: logger))
    }

    /// Run as soon as a stop begins: waiting requests are answered and event streams end.
    private var stopWaiting: @Sendable () -> Void {
        { [poller, eventStreams] in
            poller.watch.stopWaiting()
            eventStreams.stopAll()
        }
    }

    private func localBindingsBound() -> Int {
        listeners.withLock { ($0.local == nil ? 0 : 1) + ($0.socket == nil ? 0 : 1) }
    }

    /// Before anything listens: submissions a previous run left without an answer get their give-up date, and the
    /// archive folder is ready, without the partial files of a previous run.
    func prepare() async throws {
        let orphans = try await database.scheduleOrphanedSubmissions(giveUpAfter: configuration.polling.giveUpAfter, at: clock.date())
        if orphans > 0 { logger.warning("submissions left unanswered by the previous run", metadata: ["count": "\(orphans)"]) }
        // Before anything listens: an upload that had begun streaming into tmp/ would lose its file.
        do {
            try archiveDirectory.prepare()
            let leftovers = archiveDirectory.removeLeftovers()
            if leftovers > 0 { logger.notice("partial downloads of the previous run removed", metadata: ["count": "\(leftovers)"]) }
        } catch {
            logger.error("the archive directory cannot be prepared; downloads and uploads fail until it can",
                         metadata: ["directory": "\(archiveDirectory.root)", "error": "\(error)"])
        }
    }

    /// Starts in the background and returns once both listeners are bound: for tests and the demo.
    public func start() async throws -> RunningDaemon {
        try await prepare()
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let bound = StopBound(clock: clock, onStop: stopWaiting)
        let group = makeServiceGroup(signals: [], notifier: .disabled, stopBound: bound) { continuation.yield() }
        let task = Task { [self] in
            defer { continuation.finish() }
            do { try await bound.run(group, logger: logger) } catch { logger.error("daemon stopped", metadata: ["error": "\(error)"]) }
            try? await httpClient.shutdown()
            try? await database.close()
        }
        for await _ in stream {
            return RunningDaemon(daemon: self, group: group, task: task)
        }
        throw DaemonStartError()
    }
}

/// A daemon serving in the background.
public struct RunningDaemon: Sendable {
    public let daemon: Daemon
    let group: ServiceGroup
    let task: Task<Void, Never>

    public var callbackBaseURL: String { daemon.bound.callbacks ?? "" }
    public var localURL: String { daemon.bound.local ?? "" }

    /// Graceful stop: listeners drain, the poller stops between polls, the store closes.
    public func stop() async {
        await group.triggerGracefulShutdown()
        await task.value
    }
}

struct DaemonStartError: Error, CustomStringConvertible {
    var description: String { "the daemon stopped before its listeners were bound" }
}

/// True for the first caller only.
final class OnceFlag: Sendable {
    private let claimed = Mutex(false)

    func claim() -> Bool {
        claimed.withLock { claimed in
            defer { claimed = true }
            return !claimed
        }
    }
}
