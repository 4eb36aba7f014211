import Synchronization

/// What `/readyz` and systemd's READY=1 depend on, besides a store that answers.
public final class Readiness: Sendable {
    private struct State {
        var callbacksBound = false
        var localBound = false
        var credentialProblem: String?
    }

    private let state = Mutex(State())
    /// Checked at each question: a directory fills up or loses its permissions without telling anyone.
    let archive: ArchiveHealth?

    init(archive: ArchiveHealth? = nil) {
        self.archive = archive
    }

    func callbackListenerBound() { state.withLock { $0.callbacksBound = true } }
    func localListenerBound() { state.withLock { $0.localBound = true } }

    /// The service refused our key (401/403): readiness degraded until a call succeeds.
    func credentialsRejected(_ reason: String) { state.withLock { $0.credentialProblem = reason } }
    func credentialsAccepted() { state.withLock { $0.credentialProblem = nil } }

    /// True once both listeners are bound.
    public var listenersBound: Bool { state.withLock { $0.callbacksBound && $0.localBound } }

    /// Why the daemon is not ready, empty when it is (the store is checked separately).
    public func problems() async -> [String] {
        let archiveProblem = await archive?.problem()
        return listenerAndCredentialProblems + (archiveProblem.map { [$0] } ?? [])
    }

    private var listenerAndCredentialProblems: [String] {
        state.withLock { state in
            var problems: [String] = []
            if !state.callbacksBound { problems.append("callback listener not bound") }
            if !state.localBound { problems.append("local listener not bound") }
            if let credential = state.credentialProblem { problems.append("upstream refuses the credentials: \(credential)") }
            return problems
        }
    }
}
