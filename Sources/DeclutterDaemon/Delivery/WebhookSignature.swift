import Crypto
import Foundation

/// The Standard Webhooks `webhook-signature` header: `v1,` + base64 of HMAC-SHA256 over
/// `<webhook-id>.<webhook-timestamp>.<body>`, one per signing secret, space-separated (two during a rotation,
/// so a receiver that knows either secret verifies).
public enum WebhookSignature {
    /// The header's value for a message `id` sent at `timestamp` (whole seconds since 1970) with `body`.
    public static func sign(id: String, timestamp: Int, body: some DataProtocol, secrets: [String]) -> String {
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        return secrets.map { secret in
            let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key(of: secret)))
            return "v1," + Data(mac).base64EncodedString()
        }.joined(separator: " ")
    }

    /// The HMAC key: the base64-decoded part after `whsec_` (`WebhookSecret`). Stored secrets were checked
    /// when they were made; one that is not valid (only a hand-edited row could be) signs with its own bytes
    /// rather than sending the message unsigned, and no receiver verifies it.
    static func key(of secret: String) -> Data {
        WebhookSecret.key(of: secret) ?? Data(secret.utf8)
    }
}
