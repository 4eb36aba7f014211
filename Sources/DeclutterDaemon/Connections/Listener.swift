import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// One listening socket of the daemon: a Hummingbird application whose connections pass the `ConnectionGuard`
/// of its registry and the `RequestHeadChecks`; a failure to listen names the setting and the address.
struct Listener: Service {
    let setting: String
    let address: String
    let application: any Service

    init<Responder: HTTPResponderBuilder>(
        setting: String, address: BindAddress, description: String, router: Responder, registry: ConnectionRegistry,
        limits: ConnectionLimits, report: ConnectionReport, logger: Logger, onBound: @escaping @Sendable (any Channel) async -> Void
    ) where Responder.Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        self.setting = setting
        self.address = description
        let server = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [
            ConnectionGuard(registry: registry, limits: limits, report: report), RequestHeadChecks(),
        ]))
        application = Application(router: router, server: server, configuration: .init(address: address, serverName: "declutterd"),
                                  onServerRunning: { channel in
                                      // Set on the listening socket, every accepted connection inherits it (Linux copies
                                      // the send buffer's size on accept): no child channel is touched while it is set up.
                                      try? await channel.setOption(ChannelOptions.socketOption(.so_sndbuf),
                                                                   value: SocketOptionValue(limits.sendBuffer)).get()
                                      await onBound(channel)
                                  }, logger: logger)
    }

    func run() async throws {
        do {
            try await application.run()
        } catch let error as IOError {
            throw ListenerError(setting: setting, address: address, reason: error.description)
        } catch let error as ChannelError {
            throw ListenerError(setting: setting, address: address, reason: "\(error)")
        }
    }
}

/// A listener could not listen: which one, where, and why (`address already in use`).
public struct ListenerError: Error, CustomStringConvertible {
    public let setting: String
    public let address: String
    public let reason: String

    public var description: String { "\(setting): cannot listen on \(address): \(reason)" }
}
