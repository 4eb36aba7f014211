/// How a download ended.
public enum DownloadOutcome: Sendable, Equatable {
    case archived(ArchivedFile)
    /// `reason` is for operators ("HTTP 404", "timed out after 30s"); `httpStatus` is that of the last response
    /// received, if any. `permanent`: retrying cannot help (address/scheme/host refused, too large); otherwise
    /// the caller retries on its schedule.
    case failed(reason: String, httpStatus: Int?, permanent: Bool)
}

/// A failed download on its way out of the pipeline, before it becomes a `DownloadOutcome`.
struct DownloadFailure: Error {
    var reason: String
    var permanent: Bool

    /// A refusal by the policy: the same URL will be refused again.
    static func refused(_ reason: String) -> DownloadFailure { DownloadFailure(reason: reason, permanent: true) }

    static func passing(_ reason: String) -> DownloadFailure { DownloadFailure(reason: reason, permanent: false) }
}
