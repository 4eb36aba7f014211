import DeclutterWire
import Foundation

/// One result image as `declutterd fetch` left it: copied to `path`, or not, and why (`error`).
public struct FetchedImage: Codable, Sendable, Equatable {
    public let index: Int
    /// Its state in the archive (`archived`, `pending`, `failed`, `pruned`).
    public let state: String
    /// Where it was written; nil when it was not.
    public let path: String?
    public let bytes: Int64?
    public let sha256: String?
    public let contentType: String?
    public let width: Int?
    public let height: Int?
    /// Why it was not copied: its last download error, or what went wrong copying it.
    public let error: String?

    enum CodingKeys: String, CodingKey {
        case index, state, path, bytes, sha256, width, height, error, contentType = "content_type"
    }

    public var isFetched: Bool { path != nil }

    init(_ entry: ArchivedImageView, path: String?, bytes: Int64?, error: String?) {
        index = entry.index
        state = entry.state
        self.path = path
        self.bytes = bytes
        sha256 = entry.sha256
        contentType = entry.contentType
        width = entry.width
        height = entry.height
        self.error = error
    }
}

extension LocalAPIClient {
    /// Copies every archived result image of generation `id` into `directory` (created if missing) as
    /// `<local id>-<n>.<png|jpg|webp>`, each checked against its SHA-256; the images that are not archived, or
    /// could not be copied, come back with their `error`. Throws when the generation cannot be read, has no result
    /// images, or the daemon stops answering.
    public func fetchImages(of id: String, into directory: String) async throws -> [FetchedImage] {
        let generation = try await self.generation(id).value
        let entries = (generation.archive ?? []).sorted { $0.index < $1.index }
        guard !entries.isEmpty else {
            throw LocalClientError(.failure, code: "no_images", message: "generation \(generation.id) has no result images (\(generation.status))")
        }
        try Self.makeDirectory(directory)
        var fetched: [FetchedImage] = []
        for entry in entries {
            guard entry.state == ImageState.archived.rawValue, let url = entry.url, let sha256 = entry.sha256 else {
                fetched.append(FetchedImage(entry, path: nil, bytes: nil, error: entry.error ?? "not downloaded yet"))
                continue
            }
            let path = Self.join(directory, "\(generation.id)-\(entry.index).\(Self.fileExtension(entry.contentType))")
            do throws(LocalClientError) {
                let bytes = try await download(url, sha256: sha256, to: path)
                fetched.append(FetchedImage(entry, path: path, bytes: bytes, error: nil))
            } catch where error.kind == .unreachable {
                throw error
            } catch {
                fetched.append(FetchedImage(entry, path: nil, bytes: nil, error: error.description))
            }
        }
        return fetched
    }

    /// `png`, `jpg` or `webp`, by the type the archive recorded.
    static func fileExtension(_ contentType: String?) -> String {
        switch contentType {
        case "image/png": "png"
        case "image/jpeg": "jpg"
        case "image/webp": "webp"
        default: "bin"
        }
    }

    /// `name` in `directory`, written as a person would (`./42-0.png`, `out/42-0.png`).
    static func join(_ directory: String, _ name: String) -> String {
        (directory.hasSuffix("/") ? directory : directory + "/") + name
    }
}
