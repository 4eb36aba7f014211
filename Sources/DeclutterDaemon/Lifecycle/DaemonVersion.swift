/// The daemon's version, as it introduces itself to others (the webhooks' `user-agent`).
public enum DaemonVersion {
    public static let current = "1.0.0"
}
