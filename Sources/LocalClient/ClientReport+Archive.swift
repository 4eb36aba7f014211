import DeclutterWire

// What `show` and `fetch` print about a generation's archived images.

extension ClientReport {
    /// `detail`, then, when the generation has result images, a table of where each stands in the archive.
    /// `link` makes a local API path a URL to fetch it from.
    public static func detailWithArchive(_ generation: LocalGeneration, link: (String) -> String) -> String {
        let images = generation.archive ?? []
        guard !images.isEmpty else { return detail(generation) }
        return detail(generation) + "\n\n" + archive(images, link: link)
    }

    /// One row per result image: index, state, bytes, WxH, the SHA-256's first 12 digits, and the URL it is
    /// served at, or why it is not.
    public static func archive(_ images: [ArchivedImageView], link: (String) -> String) -> String {
        TableRenderer.render(
            header: ["IMAGE", "STATE", "BYTES", "SIZE", "SHA256", "URL OR ERROR"],
            rows: images.map { image in
                [String(image.index), image.state, image.bytes.map(String.init) ?? "-", dimensions(image.width, image.height),
                 image.sha256.map { String($0.prefix(12)) } ?? "-", image.url.map(link) ?? image.error ?? "-"]
            },
            alignments: [.right, .left, .right, .right])
    }

    /// One line per image copied out: path, bytes, WxH.
    public static func fetched(_ images: [FetchedImage]) -> String {
        TableRenderer.render(
            rows: images.compactMap { image in
                image.path.map { [$0, "\(image.bytes ?? 0) bytes", dimensions(image.width, image.height)] }
            },
            alignments: [.left, .right, .right])
    }

    /// `1024x768`, or `-` when unknown.
    static func dimensions(_ width: Int?, _ height: Int?) -> String {
        guard let width, let height else { return "-" }
        return "\(width)x\(height)"
    }
}
