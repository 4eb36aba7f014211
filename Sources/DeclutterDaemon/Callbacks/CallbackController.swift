import DeclutterAPI
import DeclutterStore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// A request context that knows who is calling, for the source allowlist.
public struct CallbackContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}

/// The public listener (docs/callbacks-and-polling.md): `POST /callbacks/{token}` and `GET /healthz`, nothing else.
struct CallbackController: Sendable {
    let database: any Store
    let client: DeclutterClient
    let verifyCallbacks: Bool
    let allowFrom: [CIDR]
    let retention: CallbackRetention
    let schedule: PollSchedule
    let metrics: DaemonMetrics
    let watch: GenerationWatch
    let unknownTokenLog: RateLimitedLog
    let now: @Sendable () -> Date

    /// The public listener's two routes; every other method on them answers 405.
    var endpoints: RouteCollection<CallbackContext> {
        let routes = RouteCollection(context: CallbackContext.self)
        routes.post("/callbacks/{token}") { request, context in try await receive(request, context: context) }
        routes.get("/healthz") { _, _ in Response.healthy }
        return routes
    }

    private func receive(_ request: Request, context: CallbackContext) async throws -> Response {
        if !allowFrom.isEmpty {
            let caller = context.remoteAddress?.ipAddress ?? ""
            guard allowFrom.contains(where: { $0.contains(caller) }) else {
                metrics.callback(.forbidden)
                return APIError.response(.forbidden, code: .sourceNotAllowed, message: "this source address may not call back")
            }
        }
        if let type = request.headers[.contentType], !MediaType.isJSON(type) {
            metrics.callback(.unsupportedMediaType)
            return APIError.response(.unsupportedMediaType, code: .unsupportedMediaType, message: "callbacks must be application/json")
        }
        let limit = RetrievalPayloadValidator.maximumBodySize
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            return tooLarge()
        }
        guard let buffer = try? await request.body.collect(upTo: limit) else { return tooLarge() }
        let body = Data(buffer: buffer)
        let token = context.parameters.get("token") ?? ""
        let received = now()
        var report = StatusReport(source: .callback, receivedAt: received, rawBody: body,
                                  payload: RetrievalPayloadValidator.validate(body),
                                  rescheduleIfPending: .atLeast(schedule.afterCallback(now: received)), retention: retention)
        if verifyCallbacks, case .success(let payload) = report.payload, payload.status.isTerminal {
            guard let checked = await verified(report, token: token) else {
                metrics.callback(.unverified)
                return APIError.response(.serviceUnavailable, code: .verificationUnavailable,
                                         message: "the status could not be confirmed with the service yet; retry later")
            }
            report = checked
        }
        let result: WriteResult?
        do {
            result = try await database.apply(report, to: .callbackTokenHash(CallbackToken.hash(of: token)))
        } catch {
            metrics.callback(.unavailable)
            context.logger.error("callback not stored", metadata: ["error": "\(error)"])
            return APIError.response(.serviceUnavailable, code: .storeUnavailable, message: "the store could not commit this callback; retry later")
        }
        guard let result else {
            metrics.callback(.unknownToken)
            unknownTokenLog.log(context.logger, "callback for an unknown token")
            return APIError.response(.notFound, code: .unknownCallback, message: "no generation has this callback URL")
        }
        if result.outcome == .applied, let row = result.generation.id { watch.changed(row: row) }
        metrics.callback(CallbackOutcome(result.outcome))
        if result.outcome == .conflict { metrics.conflict(source: .callback) }
        if let violation = result.violation {
            return APIError.response(.badRequest, rule: violation.rule, message: violation.message)
        }
        return Response(status: .noContent)
    }

    /// `verify_callbacks`: a terminal status is taken from one retrieval call, not from the callback (whose
    /// raw body is still what the event keeps). Nil when the service could not be asked: the sender retries.
    private func verified(_ report: StatusReport, token: String) async -> StatusReport? {
        let stored: GenerationRecord?
        do {
            stored = try await database.generation(.callbackTokenHash(CallbackToken.hash(of: token)))
        } catch {
            return nil  // the store could not be read: nothing can be confirmed, so nothing is applied
        }
        // An unknown token (404 below), or a generation no callback can change: nothing to confirm.
        guard let stored, stored.status.isPending || stored.status == .lost else { return report }
        // Not yet answered upstream: the callback may name its generation; without an id there is nothing to ask.
        let claimed = try? report.payload.get().generationID
        guard let generationID = stored.generationID ?? claimed else { return nil }
        guard let answer = try? await client.retrieve(generationID), case .success(let confirmed) = answer.payload else { return nil }
        var checked = report
        checked.payload = .success(confirmed)
        return checked
    }

    private func tooLarge() -> Response {
        metrics.callback(.tooLarge)
        let rule = PayloadViolation(.bodyTooLarge)
        return APIError.response(.contentTooLarge, rule: rule.rule, message: rule.message)
    }
}
