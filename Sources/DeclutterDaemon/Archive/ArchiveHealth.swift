/// Whether the archive directory can take the next file: `/readyz` and `declutterd_archive_writable` ask at
/// the moment they answer. Callbacks never do: a full disk must not turn into callback errors.
struct ArchiveHealth: Sendable {
    let directory: ArchiveDirectory
    let maxBytes: Int

    /// Why the next file could not be kept, or nil: a probe file written and synced, on the thread pool.
    func problem() async -> String? {
        (try? await BlockingWork.run { probe() }) ?? nil
    }

    private func probe() -> String? {
        if let problem = directory.writableProblem() { return problem }
        if let free = directory.freeBytes(), free < Int64(maxBytes) {
            return "archive directory \(directory.root) is full: \(free) bytes free, less than archive.max_bytes (\(maxBytes))"
        }
        return nil
    }
}
