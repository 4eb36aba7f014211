import DeclutterSandbox
import Foundation
import TestSupport
import Testing

@Suite("Daemon smoke")
struct SmokeTests {
    @Test("a generation is submitted and resolved by its callback; /metrics counts it")
    func resolvedByCallback() async throws {
        try await Harness.with { harness in
            let record = try await harness.submit()
            // (A PROCESSING callback can beat the answer on a loaded machine.)
            #expect(["STARTING", "PROCESSING"].contains(record["status"] as? String ?? ""))
            let done = try await harness.waitTerminal(record["id"]!)
            #expect(done["status"] as? String == "SUCCEEDED")
            #expect(done["resolved_by"] as? String == "callback")

            let metrics = try await harness.local("GET", "/metrics").text
            #expect(metrics.contains(#"declutterd_callbacks_total{outcome="applied"}"#), "\(metrics)")
            #expect(metrics.contains(#"declutterd_submissions_total{result="accepted"} 1"#))
            #expect(metrics.contains(#"declutterd_generations{state="SUCCEEDED"} 1"#))
            #expect(metrics.contains("declutterd_remaining_photos 99"))
            #expect(metrics.contains("# HELP declutterd_polls_in_flight"))
        }
    }
}
