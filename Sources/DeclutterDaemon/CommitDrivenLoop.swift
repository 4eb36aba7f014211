import DeclutterStore
import Foundation
import ServiceLifecycle
import Synchronization

/// The loop of a worker whose queue is in the store (the poller, the delivery worker, the archiver): start the work
/// that is due, then sleep until the next due time, a commit (when the work follows commits), or a wake-up (`wake`: a
/// piece of work ended, a new submission came). It never scans on a timer it does not need; with nothing due it sets
/// no timer at all. At a graceful shutdown it starts nothing more; the work in flight is cancelled (it records
/// nothing, and is due again after the restart) or, `finishing`, left to end.
struct CommitDrivenLoop: Sendable {
    /// What wakes the loop besides `wake`: the store's commits (nil: `wake` alone).
    let commits: CommitSignal?
    let clock: DaemonClock
    let wakeSignal: WakeSignal
    /// At a graceful shutdown, whether the work in flight ends on its own (true) or is cancelled.
    let finishing: Bool

    init(commits: CommitSignal?, clock: DaemonClock, finishing: Bool = false) {
        self.commits = commits
        self.clock = clock
        self.wakeSignal = WakeSignal(clock: clock)
        self.finishing = finishing
    }

    /// Ends the current (or next) sleep: a piece of work ended, and its slot is free.
    func wake() { wakeSignal.signal() }

    /// Runs until a graceful shutdown. `startDue` adds the work due at the date it is given to the group and says how
    /// long to sleep from that date (nil: until woken; zero: look again at once, with no timer).
    func run(_ startDue: (inout DiscardingTaskGroup, Date) async -> Duration?) async {
        let commits = commits?.subscribe()
        let stopping = Mutex(false)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                // Follows the commits until the loop ends (then cancelled with the rest, or on its own below).
                let following = Task { [wakeSignal] in
                    guard let commits else { return }
                    for await _ in commits { wakeSignal.signal() }
                }
                defer { following.cancel() }
                while !stopping.withLock({ $0 }), !Task.isCancelled {
                    // The instant first, then the date: the nap is counted from that instant, so a clock that moves
                    // while the loop looks (a manual one in tests) can only end it early, never sleep past work due.
                    let lookedAt = (instant: clock.now, date: clock.date())
                    let nap = await startDue(&group, lookedAt.date)
                    if nap == .zero { continue }
                    await wakeSignal.wait(until: nap.map { lookedAt.instant.advanced(by: $0) })
                }
                if !finishing { group.cancelAll() }
            }
        } onGracefulShutdown: { [wakeSignal] in
            stopping.withLock { $0 = true }
            wakeSignal.signal()
        }
    }

    /// The sleep until `date`, rounded up to the millisecond so the loop never wakes just before it, at least 1 ms.
    static func nap(until date: Date, now: Date) -> Duration {
        let milliseconds = (date.timeIntervalSince(now) * 1000).rounded(.up)
        return .milliseconds(Int64(min(max(milliseconds, 1), DurationText.maximum.seconds * 1000)))
    }
}
