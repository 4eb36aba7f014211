/// Where a result image stands in the archive.
public enum ImageState: String, Codable, Sendable, CaseIterable {
    /// Not downloaded yet: due at `next_attempt_at`.
    case pending
    /// Its file is in the archive under its SHA-256.
    case archived
    /// Every attempt failed, or the URL was refused; `last_error` says why.
    case failed
    /// Its file was removed by `retention.images`; the row keeps what it was.
    case pruned
}
