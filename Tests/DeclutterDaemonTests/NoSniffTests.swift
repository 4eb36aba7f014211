import Foundation
import TestSupport
import Testing

/// Every answer of both listeners is labelled `X-Content-Type-Options: nosniff`, errors included: no browser
/// takes a JSON body or an image for HTML.
@Suite("nosniff on every answer")
struct NoSniffTests {
    @Test("JSON, text, errors and unknown routes, on both listeners, all say nosniff")
    func everyAnswer() async throws {
        try await Harness.with { harness in
            let local = harness.daemon.localURL, callbacks = harness.daemon.callbackBaseURL
            let answers = [
                try await Harness.send("GET", local + "/v1/stats"), try await Harness.send("GET", local + "/metrics"),
                try await Harness.send("GET", local + "/v1/generations/999999"), try await Harness.send("GET", local + "/no/such/route"),
                try await Harness.send("GET", local + "/openapi.yaml"), try await Harness.send("GET", callbacks + "/healthz"),
                try await Harness.send("POST", callbacks + "/callbacks/unknown", body: Data("{}".utf8)),
                try await Harness.send("GET", callbacks + "/no/such/route"),
            ]
            for answer in answers {
                #expect(answer.header("x-content-type-options") == "nosniff", "\(answer.status) \(answer.text.prefix(80))")
            }
        }
    }
}
