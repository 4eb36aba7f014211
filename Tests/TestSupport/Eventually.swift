import Testing

/// Waits for `condition` to hold, looking again every few milliseconds, up to `timeout`; the last look decides.
/// The bound is for a test that fails, never a pace: 30 s, because a loaded 2-core machine running the suite in
/// parallel took more than 10 s for a handful of durable commits.
/// On a timeout it records an issue at the caller (so a forgotten `#expect` still fails) and returns false.
/// For conditions that a real socket, process or file brings about; timed rules run on a `ManualClock` instead.
@discardableResult
public func eventually(timeout: Duration = .seconds(30), _ what: String = "the condition",
                       sourceLocation: SourceLocation = #_sourceLocation,
                       _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(5))
    }
    if try await condition() { return true }
    Issue.record("\(what) did not hold within \(timeout)", sourceLocation: sourceLocation)
    return false
}
