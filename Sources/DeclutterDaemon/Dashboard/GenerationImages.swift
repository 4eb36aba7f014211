import DeclutterStore

/// Which pictures the detail page shows for a generation, one rule each. An `<img>` only ever points at the daemon's
/// own copies (the upload, the archived result): a URL from a client or from a callback is never fetched by the
/// operator's browser, since whoever holds a callback URL could otherwise aim it at loopback or intranet addresses
/// (the archiver refuses those; the page must not fetch them either). Such URLs are shown as a link (what the
/// client gave) or as text (a result the archive has not kept).
struct GenerationImages: Sendable {
    /// The original as the daemon serves it: the uploaded photo.
    let before: String?
    /// The first result, once archived.
    let after: String?
    /// The uploaded mask.
    let mask: String?
    /// The `image_url` the client gave, when the original was not uploaded: a link, never an image.
    let beforeLink: String?
    /// The `mask_url` the client gave, when the mask was not uploaded: a link, never an image.
    let maskLink: String?
    /// The first result's URL while the archive has not kept it (pending, failed or refused): text only.
    let afterSource: String?

    init(_ view: GenerationView) {
        let uploaded = Set((view.inputs ?? []).filter { !$0.pruned }.map(\.role))
        before = uploaded.contains("image") ? "/v1/generations/\(view.id)/inputs/image" : nil
        beforeLink = before == nil ? view.imageURL.flatMap(Self.webURL) : nil
        mask = uploaded.contains("mask") ? "/v1/generations/\(view.id)/inputs/mask" : nil
        maskLink = mask == nil ? view.maskURL.flatMap(Self.webURL) : nil
        after = Self.archivedResult(view)
        afterSource = after == nil ? view.images.first : nil
    }

    /// The daemon's URL of the generation's first result, once it is archived.
    static func archivedResult(_ view: GenerationView) -> String? {
        view.archive?.contains(where: { $0.index == 0 && $0.state == "archived" }) == true ? "/v1/generations/\(view.id)/images/0" : nil
    }

    /// `text` when it is an http(s) URL, the only kind a link may point at (never `javascript:` or `data:`).
    static func webURL(_ text: String) -> String? {
        let lowered = text.lowercased()
        return lowered.hasPrefix("https://") || lowered.hasPrefix("http://") ? text : nil
    }
}
