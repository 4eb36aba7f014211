#if canImport(Glibc)
import Glibc
#endif
import Logging

/// File descriptors kept for what is not a connection: the store's files and connections, the HTTP client's
/// pool, logs. Connection caps are lowered to leave them, so a flood of connections can never starve the
/// store ("unable to open database file").
enum DescriptorBudget {
    static let reserve = 256

    /// Raises the soft descriptor limit to the hard one, then returns `limits` with caps that fit in it beside
    /// the reserve (`localListeners`: how many local listeners share the local cap's descriptors).
    static func fit(_ limits: ConnectionLimits, logger: Logger) -> ConnectionLimits {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return limits }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let available = Int(clamping: limit.rlim_cur) - reserve
        let wanted = limits.callbackConnections + limits.localConnections
        guard wanted > available else { return limits }
        var fitted = limits
        let share = Double(max(available, 16)) / Double(wanted)
        fitted.callbackConnections = max(8, Int(Double(limits.callbackConnections) * share))
        fitted.localConnections = max(8, Int(Double(limits.localConnections) * share))
        logger.warning("connection caps lowered to fit the descriptor limit", metadata: [
            "descriptor_limit": "\(limit.rlim_cur)", "reserve": "\(reserve)",
            "callbacks.max_connections": "\(fitted.callbackConnections)", "local.max_connections": "\(fitted.localConnections)",
        ])
        return fitted
    }
}
