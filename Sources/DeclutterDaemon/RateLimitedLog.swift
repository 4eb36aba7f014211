import Foundation
import Logging
import Synchronization

/// At most one log line per interval for a noisy event, with how many were folded into it.
final class RateLimitedLog: Sendable {
    private let interval: Duration
    private let state = Mutex<(last: ContinuousClock.Instant?, suppressed: Int)>((nil, 0))

    init(interval: Duration = .seconds(60)) {
        self.interval = interval
    }

    func log(_ logger: Logger, _ message: Logger.Message, metadata: Logger.Metadata = [:]) {
        let now = ContinuousClock.now
        let folded: Int? = state.withLock { state in
            if let last = state.last, now - last < interval {
                state.suppressed += 1
                return nil
            }
            defer { state = (now, 0) }
            return state.suppressed
        }
        guard let folded else { return }
        logger.warning(message, metadata: metadata.merging(folded > 0 ? ["suppressed": "\(folded)"] : [:]) { $1 })
    }
}
