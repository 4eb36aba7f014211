import Foundation

/// The local API's paths of archived files: one place, for the views and the routes' documentation.
public enum ArchivePaths {
    public static func image(generation: Int64, index: Int) -> String { "/v1/generations/\(generation)/images/\(index)" }
    public static func input(generation: Int64, role: UploadRole) -> String { "/v1/generations/\(generation)/inputs/\(role.rawValue)" }
}

/// A generation's archived images and uploaded inputs, read with it.
public struct GenerationFiles: Sendable, Equatable {
    public var images: [ImageRecord]
    public var uploads: [UploadRecord]

    public init(images: [ImageRecord] = [], uploads: [UploadRecord] = []) {
        self.images = images
        self.uploads = uploads
    }
}
