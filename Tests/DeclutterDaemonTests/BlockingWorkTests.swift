@testable import DeclutterDaemon
import Foundation
import Synchronization
import Testing

@Suite("Blocking work on NIO's thread pool")
struct BlockingWorkTests {
    @Test("a cancelled caller stops waiting for a lookup that hangs; the lookup ends on its own")
    func abandonedOnCancel() async throws {
        let release = DispatchSemaphore(value: 0)
        let (started, startedContinuation) = AsyncStream<Void>.makeStream()
        let (ended, endedContinuation) = AsyncStream<Void>.makeStream()
        let waiting = Task {
            try await BlockingWork.runAbandoningOnCancel {
                startedContinuation.yield()
                release.wait()
                endedContinuation.yield()
                return 1
            }
        }
        for await _ in started { break }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        release.signal()
        for await _ in ended { break }
    }

    @Test func results() async throws {
        #expect(try await BlockingWork.runAbandoningOnCancel { 42 } == 42)
        #expect(try await BlockingWork.run { "done" } == "done")
        await #expect(throws: ResolutionError("no")) { try await BlockingWork.run { throw ResolutionError("no") } }
    }

    @Test("cancelled before it begins: nothing runs")
    func cancelledFirst() async throws {
        let ran = Mutex(false)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await BlockingWork.runAbandoningOnCancel { ran.withLock { $0 = true } }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(!ran.withLock { $0 })
    }
}
