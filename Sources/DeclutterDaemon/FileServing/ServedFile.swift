import DeclutterStore

/// A file the daemon serves from the archive: where it is, and what the store recorded about it.
public struct ServedFile: Sendable, Equatable {
    public var path: String
    /// Lowercase hex: the file's name in the archive, and its ETag.
    public var sha256: String
    public var contentType: String
    /// The bytes recorded; the file on disk must have exactly these.
    public var size: Int64

    public init(path: String, sha256: String, contentType: String, size: Int64) {
        self.path = path
        self.sha256 = sha256
        self.contentType = contentType
        self.size = size
    }

    /// `"<sha256>"`: a strong ETag, since the bytes behind a SHA-256 never change.
    public var etag: String { "\"\(sha256)\"" }
}

extension ServedFile {
    /// A file the archive keeps under its SHA-256 in `directory`. A SHA-256 that is not 64 hex digits (a damaged row)
    /// names no file, so it answers `file_missing` rather than reaching outside the archive.
    public init(_ file: ArchivedFileFacts, in directory: ArchiveDirectory) {
        let path = ArchiveDirectory.isSHA256(file.sha256) ? directory.path(forSHA256: file.sha256) : ""
        self.init(path: path, sha256: file.sha256, contentType: file.contentType, size: file.bytes)
    }
}
