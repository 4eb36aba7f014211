/// How a listing's results are named after the client's photos, in `results.zip` and by `declutterd listing fetch`
/// alike: `kitchen.jpg` gives `kitchen.png` for its first result image, `kitchen-2.png` for its second. A name
/// already given (two photos `kitchen.jpg` and `kitchen.png`) gets ` (2)`, ` (3)`, … before its extension.
public struct ResultNames: Sendable {
    private var given: Set<String> = []

    public init() {}

    /// The name of result `index` (from 0) of photo `photo`, an image of `contentType`.
    public mutating func name(photo: String, index: Int, contentType: String?) -> String {
        let stem = Self.stem(of: photo) + (index == 0 ? "" : "-\(index + 1)")
        let suffix = Self.fileExtension(contentType).map { "." + $0 } ?? ""
        var name = stem + suffix
        var copy = 2
        while given.contains(name) {
            name = "\(stem) (\(copy))\(suffix)"
            copy += 1
        }
        given.insert(name)
        return name
    }

    /// `kitchen.jpg` → `kitchen`; a name without an extension (or only one, `.hidden`) stays whole.
    static func stem(of name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    static func fileExtension(_ contentType: String?) -> String? {
        switch contentType?.lowercased() {
        case "image/png": "png"
        case "image/jpeg": "jpg"
        case "image/webp": "webp"
        default: nil
        }
    }
}

/// `manifest.json` in `results.zip`: each file the archive holds under the name it was given, and each photo
/// with no result in it, and why.
public struct ResultsManifest: Codable, Sendable, Equatable {
    public struct File: Codable, Sendable, Equatable {
        public let name: String
        public let photo: String
        public let generation: Int64
        public let index: Int
        public let sha256: String
        public let bytes: Int64

        package init(name: String, photo: String, generation: Int64, index: Int, sha256: String, bytes: Int64) {
            self.name = name
            self.photo = photo
            self.generation = generation
            self.index = index
            self.sha256 = sha256
            self.bytes = bytes
        }
    }

    public struct Missing: Codable, Sendable, Equatable {
        public let photo: String
        public let generation: Int64?
        /// The photo's state (its newest generation's, or `QUEUED`), or the image's in the archive.
        public let status: String
        public let reason: String

        package init(photo: String, generation: Int64?, status: String, reason: String) {
            self.photo = photo
            self.generation = generation
            self.status = status
            self.reason = reason
        }
    }

    public let reference: String
    public let state: String
    public let files: [File]
    public let missing: [Missing]

    package init(reference: String, state: String, files: [File], missing: [Missing]) {
        self.reference = reference
        self.state = state
        self.files = files
        self.missing = missing
    }
}
