import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// HTTP/1.1 details the framework leaves to the application: `Expect: 100-continue` gets its interim
/// `100 Continue` before the body is read, and a request whose `Transfer-Encoding` is anything but plain
/// `chunked` (`gzip, chunked`, say, which would otherwise be read as plain chunked) is answered 501 and the
/// connection closed, without reaching a handler.
final class RequestHeadChecks: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The rest of a refused request is read and dropped.
    private var discarding = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .head(let head) = part {
            if let coding = head.headerFields[.transferEncoding], coding.trimmingCharacters(in: .whitespaces).lowercased() != "chunked" {
                discarding = true
                refuse(context, coding: coding)
                return
            }
            if head.headerFields[.expect]?.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        }
        guard !discarding else { return }
        context.fireChannelRead(data)
    }

    private func refuse(_ context: ChannelHandlerContext, coding: String) {
        let body = #"{"error":{"code":"\#(ErrorCode.unsupportedTransferCoding.rawValue)","message":"only Transfer-Encoding: chunked is supported"}}"#
        var head = HTTPResponse(status: .notImplemented)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.utf8.count)
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(string: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
