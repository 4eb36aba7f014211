/// A generation's status as the Decluttering API reports it.
public enum UpstreamStatus: String, Codable, Sendable, CaseIterable {
    case starting = "STARTING"
    case processing = "PROCESSING"
    case succeeded = "SUCCEEDED"
    case failed = "FAILED"

    /// True once the service will not change the status again.
    public var isTerminal: Bool { self == .succeeded || self == .failed }
}
