import DeclutterStore

/// The capability in an uploaded file's URL on the public listener, `{public_base_url}/inputs/{token}.jpg`: made and
/// hashed exactly as a callback token (256 random bits, base64url; only the SHA-256 is stored), so it shares that
/// code. The extension is part of the URL because the service wants a jpg or png URL.
struct InputToken: Sendable, Equatable {
    let value: String

    /// A new token from the system's secure random source.
    static func random() -> InputToken { InputToken(value: CallbackToken.random().value) }

    /// What `uploads.token_hash` holds.
    var hash: String { CallbackToken.hash(of: value) }

    /// `{public_base_url}/inputs/{token}.{extension}`.
    func url(publicBaseURL: String, contentType: String) -> String {
        let base = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        return "\(base)/inputs/\(value).\(Self.fileExtension(contentType: contentType))"
    }

    /// `jpg` for a JPEG, `png` for a PNG: the only two an upload can be.
    static func fileExtension(contentType: String) -> String {
        contentType == ImageFormat.jpeg.contentType ? "jpg" : "png"
    }

    /// The token and extension of the last path segment of an input URL (`{token}.png`); nil unless the token has
    /// the shape every token has (43 base64url characters), so a malformed one is never even looked up.
    static func parse(_ segment: String) -> (token: InputToken, fileExtension: String)? {
        guard let dot = segment.lastIndex(of: ".") else { return nil }
        let token = segment[..<dot]
        let fileExtension = segment[segment.index(after: dot)...]
        guard token.utf8.count == 43, token.utf8.allSatisfy(isBase64URL), ["jpg", "png"].contains(fileExtension) else { return nil }
        return (InputToken(value: String(token)), String(fileExtension))
    }

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x5F
    }
}
