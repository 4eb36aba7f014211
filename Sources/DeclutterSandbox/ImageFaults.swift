/// How the sandbox answers a request for a result image instead of serving it: for tests of a downloader's
/// checks (status, magic number, size cap, timeout, redirects, retries).
public enum ImageFault: Sendable, Equatable {
    /// 404.
    case notFound
    /// 200 with `Content-Type: image/png` and an HTML page as the body: the bytes must be checked, not the header.
    case html
    /// The head (with the image's length), then nothing for the duration, then the image: a client's read
    /// timeout must trip. The stall ends early, cutting the connection, when the sandbox shuts down.
    case slow(Duration)
    /// 200 `image/png`, chunked (no length announced): a PNG signature, then junk up to `bytes` in all, sent in
    /// pieces, so the client has to cut it off while streaming.
    case oversized(bytes: Int)
    /// 302 with `Location:` the URL, e.g. a private or link-local address the client must not follow.
    case redirect(to: String)
    /// Announces the image's full `Content-Length`, sends its first half, then closes the connection.
    case truncated
}

/// Which result-image requests meet a fault: deterministic, counted per image URL.
public struct ImageFaults: Sendable, Equatable {
    /// What the requests meet; nil serves every image whole.
    public var fault: ImageFault?
    /// Only the first `failFirst` requests of each image meet `fault`, later ones get the image (for
    /// "retried, then succeeded" tests); nil: every request does.
    public var failFirst: Int?

    public init(_ fault: ImageFault? = nil, failFirst: Int? = nil) {
        self.fault = fault
        self.failFirst = failFirst
    }

    /// The fault for the `request`-th request (counting from 1) of one image, if any.
    func fault(forRequest request: Int) -> ImageFault? {
        guard let failFirst else { return fault }
        return request <= failFirst ? fault : nil
    }
}
