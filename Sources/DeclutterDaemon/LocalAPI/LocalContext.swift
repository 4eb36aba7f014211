import Hummingbird
import HummingbirdAuth
import NIOCore

/// The local API's request context: knows whether the request came over the unix socket, which the
/// cross-site guard trusts whatever its `Host` says, and who the request acts as (`KeyAuthenticator`).
public struct LocalContext: AuthRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `KeyAuthenticator` with `local.auth = required`; nil with `off`, or before a key is shown.
    public var identity: LocalIdentity?
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
