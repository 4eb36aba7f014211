import DeclutterStore

/// An image safely in the archive: what the store records about it.
public struct ArchivedFile: Sendable, Equatable {
    /// Lowercase hex SHA-256 of the bytes: the file's name (`ArchiveDirectory.path(forSHA256:)`).
    public var sha256: String
    public var bytes: Int64
    public var format: ImageFormat
    public var dimensions: ImageDimensions

    public init(sha256: String, bytes: Int64, format: ImageFormat, dimensions: ImageDimensions) {
        self.sha256 = sha256
        self.bytes = bytes
        self.format = format
        self.dimensions = dimensions
    }

    public var contentType: String { format.contentType }
}

extension ArchivedFile {
    /// What the store records about a kept file.
    var facts: ArchivedFileFacts {
        ArchivedFileFacts(sha256: sha256, bytes: bytes, contentType: format.contentType, width: dimensions.width, height: dimensions.height)
    }
}
