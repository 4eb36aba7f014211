import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// One connection's guard, first after the HTTP codec: admits it into its listener's registry (or closes it),
/// and closes it when a step takes too long: the first request head (`headerTimeout` from the start), a body
/// (`bodyTimeout` from its head, even when the answer went out first), a kept-alive connection with no
/// request in it (`idleTimeout`, which also bounds the next head), or an answer its peer does not read
/// (`writeTimeout` with the connection's output full). It also keeps one connection from taking more than its
/// turn: nothing more is read from it while its output is full or `pipelineDepth` requests wait for their answers,
/// and a burst of more pipelined requests than that closes it. Every close it makes is counted, and logged at a
/// limited rate.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let registry: ConnectionRegistry
    private let limits: ConnectionLimits
    private let report: ConnectionReport
    /// Requests whose head arrived and whose answer has not ended yet (more than one when pipelined).
    private var unanswered = 0
    /// A request body is still coming.
    private var readingBody = false
    /// Bumped at each arming, so that a timer that fires after the step moved on does nothing.
    private var armed = 0
    private var timer: Scheduled<Void>?
    /// Closes the connection when its output stays full for `writeTimeout`.
    private var writeTimer: Scheduled<Void>?
    /// A read was asked for while reading was held back; it is passed on once the hold ends.
    private var readHeld = false
    /// The connection is closing: nothing more it sent is passed on.
    private var closing = false

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
        disarm()
        disarmWrite()
        registry.remove(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        disarmWrite()
        registry.remove(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            guard unanswered <= limits.pipelineDepth else { return drop(.pipelined, context) }
            readingBody = true
            registry.setPhase(context.channel, .readingBody)
            arm(context, after: limits.bodyTimeout, dropping: .bodyTimeout)
        case .end:
            readingBody = false
            settle(context)
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let ended = if case .end = unwrapOutboundIn(data) { true } else { false }
        context.write(data, promise: promise)
        if ended {
            unanswered = max(0, unanswered - 1)
            settle(context)
            releaseRead(context)
        }
    }

    /// Reading waits while the peer leaves its answers unread, or while `pipelineDepth` requests wait for theirs.
    func read(context: ChannelHandlerContext) {
        if mustHoldReads(context) { readHeld = true } else { context.read() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            disarmWrite()
            releaseRead(context)
        } else if writeTimer == nil {
            let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            writeTimer = context.eventLoop.scheduleTask(in: TimeAmount(limits.writeTimeout)) {
                let (handler, context) = loopBound.value
                handler.writeTimer = nil
                guard !context.channel.isWritable else { return }
                handler.drop(.writeTimeout, context)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    private func mustHoldReads(_ context: ChannelHandlerContext) -> Bool {
        !context.channel.isWritable || unanswered >= limits.pipelineDepth
    }

    private func releaseRead(_ context: ChannelHandlerContext) {
        guard readHeld, !mustHoldReads(context) else { return }
        readHeld = false
        context.read()
    }

    private func disarmWrite() {
        writeTimer?.cancel()
        writeTimer = nil
    }

    /// Counts and closes: what the connection sent after this is dropped unread.
    private func drop(_ reason: ConnectionDrop, _ context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        report.dropped(reason, on: registry.listener)
        context.close(promise: nil)
    }

    /// After a body or an answer ended: idle once nothing is being read or answered; answering while an answer is
    /// owed and the body is in; still reading (under the body timer) otherwise.
    private func settle(_ context: ChannelHandlerContext) {
        guard !readingBody else { return }
        if unanswered == 0 {
            registry.setPhase(context.channel, .waiting)
            arm(context, after: limits.idleTimeout, dropping: .idleTimeout)
        } else {
            registry.setPhase(context.channel, .answering)
            disarm()
        }
    }

    /// Closes the connection unless the step moves on within `delay`.
    private func arm(_ context: ChannelHandlerContext, after delay: Duration, dropping reason: ConnectionDrop) {
        disarm()
        let mine = armed
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: TimeAmount(delay)) {
            let (handler, context) = loopBound.value
            guard handler.armed == mine else { return }
            handler.drop(reason, context)
        }
    }

    private func disarm() {
        armed += 1
        timer?.cancel()
        timer = nil
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
