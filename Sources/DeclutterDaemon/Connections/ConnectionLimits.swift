/// How long a connection may take at each step, and how many one listener keeps open (settings `http.*`,
/// `callbacks.max_connections`, `local.max_connections`).
public struct ConnectionLimits: Sendable, Equatable {
    /// From the connection's start (or the end of the previous answer) to the whole request head.
    public var headerTimeout: Duration = .seconds(10)
    /// From the request head to the end of its body.
    public var bodyTimeout: Duration = .seconds(30)
    /// A kept-alive connection with no request.
    public var idleTimeout: Duration = .seconds(60)
    /// How long an answer may wait for its peer to read (the connection's output full) before the connection is closed.
    public var writeTimeout: Duration = .seconds(30)
    /// The kernel's send buffer of each connection, in bytes. Left alone, Linux grows it to `tcp_wmem`'s maximum (4 MB)
    /// for a peer that reads nothing, and the daemon's memory grew with it: 300 such readers of a large photo took
    /// 2.2 GB. At this size (which the kernel doubles) a client that stops reading holds well under a megabyte until `writeTimeout` closes it.
    public var sendBuffer = 128 * 1024
    /// Requests one connection may have read and not yet answered (pipelined); past it the connection is closed, and
    /// at it nothing more is read until an answer has gone out.
    public var pipelineDepth = 16
    /// Connections open at once on the public listener.
    public var callbackConnections = 512
    /// Connections open at once on each local listener (TCP, unix socket).
    public var localConnections = 128

    public init() {}
}

/// The listeners, for metrics and messages.
public enum ListenerName: String, CaseIterable, Sendable {
    case callbacks, local
}

/// Why a connection was closed by the daemon rather than by its client.
public enum ConnectionDrop: String, CaseIterable, Sendable {
    /// The listener was full of connections busy with requests: a new one was closed at once.
    case refused
    /// The listener was full: the connection that had waited longest without sending a request made room.
    case evicted
    case headerTimeout = "header_timeout"
    case bodyTimeout = "body_timeout"
    case idleTimeout = "idle_timeout"
    /// Its peer read nothing of its answers for `writeTimeout`.
    case writeTimeout = "write_timeout"
    /// More pipelined requests than `pipelineDepth` arrived at once.
    case pipelined
}
