import Foundation

/// An endpoint's signing secret, as the Standard Webhooks specification writes it: `whsec_` and the base64 of
/// the key (32 random bytes here). The HMAC is keyed with the decoded bytes, not with the text.
public enum WebhookSecret {
    public static let prefix = "whsec_"
    /// Bytes of key in a secret made here.
    public static let keyLength = 32

    /// A new secret from the system's secure random source.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<keyLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + Data(bytes).base64EncodedString()
    }

    /// The key a secret stands for; nil when it is not `whsec_` followed by standard, padded base64 of 24 to
    /// 64 bytes (the range the specification allows).
    public static func key(of secret: String) -> Data? {
        guard secret.hasPrefix(prefix), let key = Data(base64Encoded: String(secret.dropFirst(prefix.count))),
              (24...64).contains(key.count) else { return nil }
        return key
    }

    /// Whether `secret` is a secret a receiver can verify with.
    public static func isValid(_ secret: String) -> Bool { key(of: secret) != nil }
}
