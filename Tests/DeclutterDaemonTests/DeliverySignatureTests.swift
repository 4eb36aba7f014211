@testable import DeclutterDaemon
import Foundation
import Testing

@Suite("Standard Webhooks signatures")
struct DeliverySignatureTests {
    @Test("the specification's reference vector")
    func referenceVector() {
        let signature = WebhookSignature.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                              body: Data(#"{"test": 2432232314}"#.utf8), secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("two secrets (a rotation): two signatures, space-separated, each the one its secret alone gives")
    func twoSecrets() {
        let body = Data(#"{"type":"generation.succeeded"}"#.utf8)
        let (current, previous) = ("whsec_" + Data(repeating: 1, count: 32).base64EncodedString(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let both = WebhookSignature.sign(id: "msg_7", timestamp: 1_800_000_000, body: body, secrets: [current, previous])
        let parts = both.split(separator: " ").map(String.init)
        #expect(parts.count == 2)
        #expect(parts[0] == WebhookSignature.sign(id: "msg_7", timestamp: 1_800_000_000, body: body, secrets: [current]))
        #expect(parts[1] == WebhookSignature.sign(id: "msg_7", timestamp: 1_800_000_000, body: body, secrets: [previous]))
        #expect(parts[0] != parts[1])
    }

    @Test("the id, the timestamp and every byte of the body are signed")
    func everythingSigned() {
        let secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
        let reference = WebhookSignature.sign(id: "msg_1", timestamp: 10, body: Data("{}".utf8), secrets: secrets)
        #expect(WebhookSignature.sign(id: "msg_2", timestamp: 10, body: Data("{}".utf8), secrets: secrets) != reference)
        #expect(WebhookSignature.sign(id: "msg_1", timestamp: 11, body: Data("{}".utf8), secrets: secrets) != reference)
        #expect(WebhookSignature.sign(id: "msg_1", timestamp: 10, body: Data("{ }".utf8), secrets: secrets) != reference)
    }
}
