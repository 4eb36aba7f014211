import DeclutterSandbox
import Foundation
import Testing

@Suite("Daemon smoke")
struct SmokeTests {
    @Test("a generation is submitted and resolved by its callback")
    func resolvedByCallback() async throws {
        let harness = try await Harness.start()
        let record = try await harness.submit()
        #expect(record["status"] as? String == "STARTING")
        let done = try await harness.waitTerminal(record["id"]!)
        #expect(done["status"] as? String == "SUCCEEDED")
        #expect(done["resolved_by"] as? String == "callback")
        await harness.stop()
    }
}
