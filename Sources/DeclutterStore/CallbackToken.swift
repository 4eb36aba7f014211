import Crypto
import Foundation

/// The capability in a generation's callback URL: 256 random bits, base64url. Only its hash is stored.
public struct CallbackToken: Sendable, Equatable {
    public let value: String

    public init(value: String) { self.value = value }

    /// A new token from the system's secure random source.
    public static func random() -> CallbackToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return CallbackToken(value: Data(bytes).base64URLEncodedString())
    }

    /// SHA-256 of the token, hex: what the database keeps and looks up by.
    public var hash: String { Self.hash(of: value) }

    public static func hash(of token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).hexString
    }

    /// `{public_base_url}/callbacks/{token}`.
    public func url(publicBaseURL: String) -> String {
        let base = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        return "\(base)/callbacks/\(value)"
    }
}

extension Data {
    /// Base64url without padding (RFC 4648 §5).
    func base64URLEncodedString() -> String {
        base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
