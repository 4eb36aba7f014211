import DeclutterStore

/// Which pictures the detail page shows for a generation, one rule each.
struct GenerationImages: Sendable {
    /// The original: the uploaded photo when there is one (served by the daemon), else `image_url` when it is http(s).
    let before: String?
    /// The first result: the archived copy once archived, else its source URL, else none.
    let after: String?
    /// The mask: uploaded, or `mask_url` when http(s).
    let mask: String?

    init(_ view: GenerationView) {
        let uploaded = Set((view.inputs ?? []).filter { !$0.pruned }.map(\.role))
        before = uploaded.contains("image") ? "/v1/generations/\(view.id)/inputs/image" : view.imageURL.flatMap(Self.webURL)
        mask = uploaded.contains("mask") ? "/v1/generations/\(view.id)/inputs/mask" : view.maskURL.flatMap(Self.webURL)
        if view.archive?.contains(where: { $0.index == 0 && $0.state == "archived" }) == true {
            after = "/v1/generations/\(view.id)/images/0"
        } else {
            after = view.images.first.flatMap(Self.webURL)
        }
    }

    /// `text` when it is an http(s) URL, the only kind an `<img>` may point at (never `javascript:` or `data:`).
    static func webURL(_ text: String) -> String? {
        let lowered = text.lowercased()
        return lowered.hasPrefix("https://") || lowered.hasPrefix("http://") ? text : nil
    }
}
