import NIOPosix
import Synchronization

/// Blocking system calls (fsync, rename, getaddrinfo) run on NIO's thread pool, never on the cooperative pool,
/// whose few threads every task of the daemon shares.
enum BlockingWork {
    /// Runs `work` on the thread pool and waits for it, even if the task is cancelled meanwhile: for work that must
    /// not be left half done, and is short (sync and rename a file).
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            // Run whatever the pool's state: the singleton pool is never shut down, and the work must happen.
            NIOThreadPool.singleton.submit { _ in continuation.resume(with: Result(catching: work)) }
        }
    }

    /// Runs `work` on the thread pool; a cancelled task stops waiting at once (`CancellationError`), while `work`
    /// ends on its own and its result is dropped: for a lookup that may hang for seconds (getaddrinfo), which a
    /// timeout must not wait for.
    static func runAbandoningOnCancel<T: Sendable>(on pool: NIOThreadPool = .singleton,
                                                   _ work: @escaping @Sendable () throws -> T) async throws -> T {
        let waiter = Waiter<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard waiter.wait(continuation) else { return }
                pool.submit { _ in waiter.resume(with: Result(catching: work)) }
            }
        } onCancel: {
            waiter.resume(with: .failure(CancellationError()))
        }
    }

    /// A continuation resumed once, by whichever comes first: the work or the cancellation.
    private final class Waiter<T: Sendable>: Sendable {
        private enum State {
            case idle
            case waiting(CheckedContinuation<T, any Error>)
            case cancelledEarly
            case resumed
        }

        private let state = Mutex(State.idle)

        /// False when the task was cancelled before it began to wait: the continuation is resumed at once then.
        func wait(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
            let cancelled = state.withLock { state -> Bool in
                if case .cancelledEarly = state { return true }
                state = .waiting(continuation)
                return false
            }
            if cancelled { continuation.resume(throwing: CancellationError()) }
            return !cancelled
        }

        func resume(with result: Result<T, any Error>) {
            let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
                switch state {
                case .idle:
                    state = .cancelledEarly
                    return nil
                case .waiting(let continuation):
                    state = .resumed
                    return continuation
                case .cancelledEarly, .resumed:
                    return nil
                }
            }
            continuation?.resume(with: result)
        }
    }
}
