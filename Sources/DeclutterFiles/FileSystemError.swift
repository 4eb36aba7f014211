#if canImport(Glibc)
import Glibc
#endif

/// A file-system failure (a full disk, a permission): not about the content, and usually passing. The archive,
/// the upload store and the client's downloads report it alike.
public struct FileSystemError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }

    /// `what` failed on `path` with `code` (an errno): "cannot create /x/tmp/y.part: Permission denied".
    package init(_ what: String, _ path: String, errno code: Int32) {
        description = "cannot \(what) \(path): \(SystemError.text(code))"
    }
}
