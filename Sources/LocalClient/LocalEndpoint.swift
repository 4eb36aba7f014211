import AsyncHTTPClient
import DeclutterWire
import Foundation

/// Where the daemon's local API listens: `http(s)://HOST:PORT[/prefix]`, `unix:///path/to.sock`
/// or AsyncHTTPClient's own `http+unix://<percent-encoded path>`.
public struct LocalEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The address `declutterd serve` listens on by default.
    public static let defaultURL = "http://127.0.0.1:8788"

    enum Target: Sendable, Equatable {
        case http(base: String)
        case socket(path: String)
    }

    let target: Target
    public let description: String

    public init(_ text: String) throws(LocalClientError) {
        description = text
        let invalid = LocalClientError(.usage, code: "invalid_url",
                                       message: "--url must be http://HOST:PORT or unix:///path/to.sock, not `\(text)`")
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else { throw invalid }
        switch scheme {
        case "http", "https":
            guard let host = url.host, !host.isEmpty, url.query == nil else { throw invalid }
            target = .http(base: text.hasSuffix("/") ? String(text.dropLast()) : text)
        case "unix":
            guard url.host?.isEmpty ?? true, !url.path.isEmpty else { throw invalid }
            target = .socket(path: url.path)
        case "http+unix":
            guard let path = url.host, !path.isEmpty else { throw invalid }
            target = .socket(path: path.removingPercentEncoding ?? path)
        default:
            throw invalid
        }
    }

    /// `http(s)://HOST:PORT[/prefix]` as a browser would open it; nil for a unix socket.
    public var webBase: String? {
        if case .http(let base) = target { return base }
        return nil
    }

    /// The full URL of `pathAndQuery` (which starts with `/`).
    public func url(_ pathAndQuery: String) -> String {
        switch target {
        case .http(let base): base + pathAndQuery
        case .socket(let path): URL(httpURLWithSocketPath: path, uri: pathAndQuery)?.absoluteString ?? "http+unix://invalid" + pathAndQuery
        }
    }
}
