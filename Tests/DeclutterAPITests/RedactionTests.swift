import DeclutterAPI
import Foundation
import Testing

@Suite("The API key never shows in descriptions")
struct RedactionTests {
    @Test func configurationDescriptionsRedactTheKey() {
        let secret = "sk-live-0123456789abcdef"
        let configuration = DeclutterClientConfiguration(baseURL: "https://iacrea.com", userID: UUID(), apiKey: secret)
        for text in [String(describing: configuration), String(reflecting: configuration), "\(configuration)", dumped(configuration)] {
            #expect(!text.contains(secret), "\(text)")
            #expect(text.contains("<redacted>"))
        }
    }

    private func dumped(_ value: some Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }
}
