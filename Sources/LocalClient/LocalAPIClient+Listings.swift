import DeclutterWire
import Foundation

// The client side of the listing routes (docs/listings.md).

/// The filters of `GET /v1/listings`.
public struct ListingQuery: Sendable, Equatable {
    public var state: String?
    public var limit: Int?
    public var cursor: String?

    public init(state: String? = nil, limit: Int? = nil, cursor: String? = nil) {
        self.state = state
        self.limit = limit
        self.cursor = cursor
    }

    var queryItems: [(String, String)] {
        [("state", state), ("limit", limit.map(String.init)), ("cursor", cursor)].compactMap { name, value in value.map { (name, $0) } }
    }
}

/// What `declutterd listing fetch` wrote: each result under its photo's name, and what it could not.
public struct FetchedListing: Sendable, Equatable {
    public var written: [(name: String, bytes: Int64)] = []
    public var missing: [(photo: String, reason: String)] = []

    public static func == (lhs: FetchedListing, rhs: FetchedListing) -> Bool {
        lhs.written.map(\.name) == rhs.written.map(\.name) && lhs.missing.map(\.photo) == rhs.missing.map(\.photo)
    }
}

extension LocalAPIClient {
    /// `POST /v1/listings` with photos by URL, named by the URL's last path component.
    public func submitListing(_ reference: String, imageURLs: [String], auto: Bool, allowPartial: Bool) async throws -> LocalReply<ListingView> {
        let names = Self.distinct(imageURLs.map(Self.photoName(of:)))
        let photos = zip(names, imageURLs).map { ListingPhotoBody(name: $0, imageURL: $1) }
        let body = ListingBody(reference: reference, auto: auto, allowPartial: allowPartial, photos: photos)
        return try await call(.POST, "/v1/listings", body: Self.json(body))
    }

    /// `POST /v1/listings` with every photo from disk in one `multipart/form-data` form, streamed from the files; each
    /// photo is named by its file name.
    public func submitListing(_ reference: String, files: [String], auto: Bool, allowPartial: Bool) async throws -> LocalReply<ListingView> {
        var form = MultipartFileBody()
        form.addText(name: "reference", value: reference)
        form.addText(name: "auto", value: auto ? "true" : "false")
        form.addText(name: "allow_partial", value: allowPartial ? "true" : "false")
        do throws(LocalFileError) {
            let names = Self.distinct(files.map { URL(fileURLWithPath: $0).lastPathComponent })
            for (path, name) in zip(files, names) { try form.addFile(name: "photo", path: path, filename: name) }
        } catch {
            throw LocalClientError(.usage, code: "unreadable_file", message: error.description)
        }
        form.close()
        let body = OutgoingBody(contentType: form.contentType) { [form] in form.body() }
        return try await call(.POST, "/v1/listings", sending: body)
    }

    public func listing(_ reference: String) async throws -> LocalReply<ListingView> {
        try await call(.GET, "/v1/listings/\(Self.escaped(reference))")
    }

    public func listings(_ query: ListingQuery = ListingQuery()) async throws -> LocalReply<ListingListView> {
        try await call(.GET, "/v1/listings", query: query.queryItems)
    }

    /// `POST /v1/listings/{reference}/retry`: 202 when photos were queued again, 200 when none needed it.
    public func retryListing(_ reference: String) async throws -> LocalReply<ListingView> {
        try await call(.POST, "/v1/listings/\(Self.escaped(reference))/retry")
    }

    /// Reads the listing every `step` seconds until it is no longer in progress, reporting each reading.
    public func waitUntilEnded(_ reference: String, step: Duration = .milliseconds(500), onUpdate: (ListingView) -> Void) async throws -> LocalReply<ListingView> {
        while true {
            let reply = try await listing(reference)
            onUpdate(reply.value)
            if reply.value.state != ListingState.inProgress.rawValue { return reply }
            try await Task.sleep(for: step)
        }
    }

    /// Copies each archived result of the listing into `directory` (created if missing) under the name `results.zip`
    /// gives it (`ResultNames`), each checked against its SHA-256.
    public func fetchListing(_ reference: String, into directory: String) async throws -> FetchedListing {
        let listing = try await self.listing(reference).value
        try Self.makeDirectory(directory)
        var names = ResultNames()
        var fetched = FetchedListing()
        for photo in listing.photos ?? [] {
            guard photo.status == GenerationState.succeeded.rawValue else {
                fetched.missing.append((photo: photo.name, reason: photo.statusReason ?? "its generation is \(photo.status)"))
                continue
            }
            for image in photo.images {
                guard image.state == ImageState.archived.rawValue, let url = image.url, let sha256 = image.sha256 else {
                    fetched.missing.append((photo: photo.name, reason: "image \(image.index) is \(image.state)" + (image.error.map { ": \($0)" } ?? "")))
                    continue
                }
                let name = names.name(photo: photo.name, index: image.index, contentType: image.contentType)
                fetched.written.append((name: name, bytes: try await download(url, sha256: sha256, to: Self.join(directory, name))))
            }
        }
        return fetched
    }

    /// Downloads `results.zip` to `<directory>/<reference>.zip`; returns its path and size.
    public func fetchListingZip(_ reference: String, into directory: String) async throws -> (path: String, bytes: Int64) {
        try Self.makeDirectory(directory)
        let path = Self.join(directory, reference + ".zip")
        return (path, try await download("/v1/listings/\(Self.escaped(reference))/results.zip", sha256: nil, to: path))
    }

    /// `names` with a name given twice told apart: the second `room.jpg` becomes `room (2).jpg` (two photos may share a
    /// file name in two folders, or a URL's last path component).
    static func distinct(_ names: [String]) -> [String] {
        var given: Set<String> = []
        return names.map { name in
            var candidate = name
            var copy = 2
            while given.contains(candidate) {
                let dot = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 }
                candidate = dot.map { "\(name[..<$0]) (\(copy))\(name[$0...])" } ?? "\(name) (\(copy))"
                copy += 1
            }
            given.insert(candidate)
            return candidate
        }
    }

    /// A URL's last path component: what a photo sent by URL is called.
    static func photoName(of url: String) -> String {
        let path = URL(string: url)?.path ?? url
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        return last.isEmpty ? "photo" : last
    }

    static func makeDirectory(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LocalClientError(.failure, code: "write_failed", message: "cannot create \(directory): \(error.localizedDescription)")
        }
    }
}

private struct ListingBody: Encodable {
    let reference: String
    let auto: Bool
    let allowPartial: Bool
    let photos: [ListingPhotoBody]

    enum CodingKeys: String, CodingKey {
        case reference, auto, photos, allowPartial = "allow_partial"
    }
}

private struct ListingPhotoBody: Encodable {
    let name: String
    let imageURL: String

    enum CodingKeys: String, CodingKey {
        case name, imageURL = "image_url"
    }
}
