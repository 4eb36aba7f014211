import DeclutterAPI

extension GenerationState {
    /// The state an upstream status report moves a generation to.
    public init(_ status: UpstreamStatus) {
        switch status {
        case .starting: self = .starting
        case .processing: self = .processing
        case .succeeded: self = .succeeded
        case .failed: self = .failed
        }
    }

    /// `'SUBMITTING', 'STARTING', 'PROCESSING'`: the pending states as SQL literals, for `status IN (...)` on either engine.
    static let pendingSQL = pending.map { "'\($0.rawValue)'" }.joined(separator: ", ")

    /// `'FAILED', 'REJECTED', 'LOST'`: the states that ended without a result, as SQL literals.
    static let endedWithoutResultSQL = allCases.filter(\.endedWithoutResult).map { "'\($0.rawValue)'" }.joined(separator: ", ")
}
