import HTTPTypes
import Hummingbird
import NIOCore

/// The headers every dashboard answer carries, written once.
enum DashboardResponse {
    /// Scripts, styles and connections from this origin only, no inline script or style, no framing; images may come
    /// from anywhere over http(s), since a generation's original and results usually live elsewhere.
    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
        + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    /// A rendered page.
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8",
            .contentSecurityPolicy: contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
            .referrerPolicy: "no-referrer",
            .cacheControl: "no-store",
        ], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// app.css or app.js: cached for an hour, revalidated after (they change only with the binary).
    static func asset(_ text: String, contentType: String) -> Response {
        Response(status: .ok, headers: [
            .contentType: contentType,
            .cacheControl: "public, max-age=3600",
            .xContentTypeOptions: "nosniff",
        ], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
