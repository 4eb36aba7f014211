import DeclutterAPI

/// What an incoming status does to a generation, recorded with every event.
public enum EventOutcome: String, Codable, Sendable, CaseIterable {
    case applied, duplicate, stale, conflict
    /// The report itself was refused (invalid payload, failed call); nothing changed.
    case rejected
}

/// The one transition rule every update goes through (docs/states.md). Pure.
public enum StatusTransition {
    /// `STARTING < PROCESSING < SUCCEEDED|FAILED`; SUBMITTING sits below them all.
    static func rank(_ state: GenerationState) -> Int? {
        switch state {
        case .submitting: 0
        case .starting: 1
        case .processing: 2
        case .succeeded, .failed: 3
        case .rejected, .lost: nil
        }
    }

    /// The outcome of `reported` arriving while the generation is `current`.
    public static func outcome(current: GenerationState, reported: UpstreamStatus) -> EventOutcome {
        let incoming = GenerationState(reported)
        switch current {
        case .lost:
            return .applied
        case .rejected:
            // Upstream said no to the submission, yet reports on it: a contradiction to record, not to apply.
            return .conflict
        case .succeeded, .failed:
            if incoming == current { return .duplicate }
            return incoming.isFinal ? .conflict : .stale
        case .submitting, .starting, .processing:
            guard let currentRank = rank(current), let incomingRank = rank(incoming) else { return .conflict }
            if incomingRank > currentRank { return .applied }
            return incomingRank == currentRank ? .duplicate : .stale
        }
    }
}
