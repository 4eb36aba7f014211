import AsyncHTTPClient
import Foundation

/// The request for one hop, made once its URL and every address its host resolves to passed the policy.
///
/// Plain `http` connects to the vetted address itself (the URL's host replaced by the literal address, the
/// original name sent in `Host`), so the name cannot resolve to something else between the check and the
/// connection. `https` connects by name, as TLS needs the name to verify the certificate: the client resolves it
/// again, and a hostile DNS server could answer differently the second time (DNS rebinding). That window stays open
/// for https; closing it would take a client per download with `dnsOverride` mapping the name to the vetted address.
struct VettedRequest {
    /// The hop's URL as written; `scheme` and `host` as the checks saw them (lowercase, no brackets).
    let url: URL
    let scheme: String
    let host: String
    let port: Int
    /// Every address of `host`, all allowed.
    let addresses: [String]

    static let headers = [
        ("user-agent", "declutterd/\(DaemonVersion.current)"),
        ("accept", ImageFormat.allCases.map(\.contentType).joined(separator: ", ")),
        // Decompression is off in the client: ask for the bytes as they are stored.
        ("accept-encoding", "identity"),
    ]

    /// The requests to try in turn until one connects: for plain http one per vetted address (each the same
    /// request, the next tried only when the connection to the one before is refused or unreachable); for https
    /// one, by name. What they send: no credentials (refused in the URL), no cookies (none kept), only `headers`
    /// and `Host`.
    var requests: [HTTPClientRequest] {
        guard scheme == "http" else { return [request(connectingTo: nil)] }
        return addresses.map { request(connectingTo: $0) }
    }

    /// The request sent to `address`, or by name when nil.
    func request(connectingTo address: String?) -> HTTPClientRequest {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: true)
        let path = components.map { $0.percentEncodedPath.isEmpty ? "/" : $0.percentEncodedPath } ?? "/"
        let query = components?.percentEncodedQuery.map { "?" + $0 } ?? ""
        let authority = Self.bracketed(host) + (url.port.map { ":\($0)" } ?? "")
        var request: HTTPClientRequest
        if let address {
            request = HTTPClientRequest(url: "\(scheme)://\(Self.bracketed(address)):\(port)\(path)\(query)")
            request.headers.add(name: "host", value: authority)
        } else {
            request = HTTPClientRequest(url: "\(scheme)://\(authority)\(path)\(query)")
        }
        for (name, value) in Self.headers { request.headers.add(name: name, value: value) }
        return request
    }

    /// An IPv6 address in brackets, as a URL's authority needs it.
    static func bracketed(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}
