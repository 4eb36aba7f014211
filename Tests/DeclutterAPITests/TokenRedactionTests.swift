@testable import DeclutterAPI
import Foundation
import Testing

/// Capability tokens the service might echo in an error body never reach an event, a status reason or a log.
@Suite("Tokens are cut from the service's error messages")
struct TokenRedactionTests {
    @Test("callback and input URLs lose their tokens, keeping the input's extension")
    func tokensCut() {
        let token = "Zm9vYmFyLWJhei1xdXV4LTAxMjM0NTY3ODlhYmNkZWZn"
        let body = #"{"error": "cannot fetch https://d.example/inputs/\#(token).png (webhook https://d.example/callbacks/\#(token))"}"#
        let cut = DeclutterClient.excerpt(Data(body.utf8))
        #expect(!cut.contains(token), "\(cut)")
        #expect(cut.contains("https://d.example/inputs/….png") && cut.contains("https://d.example/callbacks/…)"), "\(cut)")
    }
}
