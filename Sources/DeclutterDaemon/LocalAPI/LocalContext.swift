import Hummingbird
import NIOCore

/// The local API's request context: knows whether the request came over the unix socket, which the
/// cross-site guard trusts whatever its `Host` says.
public struct LocalContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// True for a request over `local.socket`.
    public let viaUnixSocket: Bool
    /// The connection: an event stream closes it when its client stops taking writes.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        if case .unixDomainSocket? = source.channel.localAddress {
            viaUnixSocket = true
        } else {
            viaUnixSocket = false
        }
    }
}
