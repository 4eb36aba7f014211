import Synchronization

/// Runs an operation with a deadline that holds even when the operation does not answer cancellation: a lease from a
/// connection pool whose server went away can wait on, cancelled or not, and a task group would wait for it. Here
/// the caller is answered at the deadline (or when its own task is cancelled); the operation is cancelled and left to
/// end on its own, its result dropped.
enum Deadline {
    /// Throws `onTimeout()` once `limit` passed, `CancellationError` when the calling task is cancelled first.
    static func run<T: Sendable>(within limit: Duration, onTimeout: @escaping @Sendable () async -> any Error,
                                 _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                race.start(continuation)
                let work = Task {
                    do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
                }
                let timer = Task {
                    do { try await Task.sleep(for: limit) } catch { return }
                    if race.isOpen { race.finish(.failure(await onTimeout())) }
                }
                race.onFinish {
                    work.cancel()
                    timer.cancel()
                }
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// The first of the outcomes resumes the caller; the others are dropped.
    private final class Race<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var early: Result<T, any Error>?
            var finished = false
            var cleanup: (@Sendable () -> Void)?
        }

        private let state = Mutex(State())

        var isOpen: Bool { state.withLock { !$0.finished } }

        func start(_ continuation: CheckedContinuation<T, any Error>) {
            let early: Result<T, any Error>? = state.withLock { state in
                guard let early = state.early else {
                    state.continuation = continuation
                    return nil
                }
                return early
            }
            if let early { continuation.resume(with: early) }
        }

        func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
            let finished = state.withLock { state in
                state.cleanup = cleanup
                return state.finished
            }
            if finished { cleanup() }
        }

        func finish(_ outcome: Result<T, any Error>) {
            let (continuation, cleanup): (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) = state.withLock { state in
                guard !state.finished else { return (nil, nil) }
                state.finished = true
                guard let continuation = state.continuation else {
                    state.early = outcome  // cancelled before the continuation existed
                    return (nil, state.cleanup)
                }
                state.continuation = nil
                return (continuation, state.cleanup)
            }
            cleanup?()
            continuation?.resume(with: outcome)
        }
    }
}
