import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// One connection's guard, first after the HTTP codec: admits it into its listener's registry (or closes it),
/// and closes it when a step takes too long: the request head (`headerTimeout`, from the start or the end of
/// the previous answer), the body (`bodyTimeout`), or a kept-alive connection with no request
/// (`idleTimeout`). Every close it makes is counted, and logged at a limited rate.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Step {
        /// No request yet: the first one's head is due.
        case opening
        case readingBody
        case answering
        /// Kept alive after an answer.
        case idle
    }

    private let registry: ConnectionRegistry
    private let limits: ConnectionLimits
    private let report: ConnectionReport
    private var step = Step.opening
    private var timer: Scheduled<Void>?

    init(registry: ConnectionRegistry, limits: ConnectionLimits, report: ConnectionReport) {
        self.registry = registry
        self.limits = limits
        self.report = report
    }

    func handlerAdded(context: ChannelHandlerContext) {
        switch registry.admit(context.channel) {
        case .admitted:
            break
        case .admittedEvicting(let oldest):
            report.dropped(.evicted, on: registry.listener)
            oldest.close(promise: nil)
        case .refused:
            report.dropped(.refused, on: registry.listener)
            context.close(promise: nil)
            return
        }
        arm(context, after: limits.headerTimeout, dropping: .headerTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        registry.remove(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        registry.remove(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            registry.setWaiting(context.channel, false)
            step = .readingBody
            arm(context, after: limits.bodyTimeout, dropping: .bodyTimeout)
        case .end:
            step = .answering
            timer?.cancel()
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), step == .answering {
            step = .idle
            registry.setWaiting(context.channel, true)
            arm(context, after: limits.idleTimeout, dropping: .idleTimeout)
        }
        context.write(data, promise: promise)
    }

    /// Closes the connection unless the step moves on within `delay`.
    private func arm(_ context: ChannelHandlerContext, after delay: Duration, dropping reason: ConnectionDrop) {
        timer?.cancel()
        let armedStep = step
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: TimeAmount(delay)) {
            let (handler, context) = loopBound.value
            guard handler.step == armedStep else { return }
            handler.report.dropped(reason, on: handler.registry.listener)
            context.close(promise: nil)
        }
    }
}

/// Counts and logs the connections the daemon closes (metric `declutterd_connections_dropped_total`).
struct ConnectionReport: Sendable {
    let metrics: DaemonMetrics
    let log: RateLimitedLog
    let logger: Logger

    func dropped(_ reason: ConnectionDrop, on listener: ListenerName) {
        metrics.connectionDropped(reason, on: listener)
        log.log(logger, "connection closed by the daemon", metadata: ["listener": "\(listener.rawValue)", "reason": "\(reason.rawValue)"])
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
