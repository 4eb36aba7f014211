import DeclutterAPI
@testable import DeclutterDaemon
import DeclutterSandbox
import DeclutterStore
import Foundation
import GRDB
import TestSupport
import Testing

@Suite("End to end: callback options (source allowlist, verify_callbacks)")
struct EndToEndCallbackOptionsTests {
    static let silentSandbox = E2E.silentSandbox

    static let succeeded = Data(#"{"status": "SUCCEEDED", "images": ["https://cdn.example/forged.png"]}"#.utf8)

    /// The callback URL the daemon gave upstream for its only generation.
    static func callbackURL(_ harness: Harness) async throws -> String {
        let webhooks = await harness.sandbox.sandbox.webhooks()
        guard webhooks.count == 1, let url = webhooks.values.first else { throw HarnessError("expected one webhook, got \(webhooks)") }
        return url
    }

    @Test("a source outside callbacks.allow_from gets 403 and writes nothing; an allowed one is applied")
    func allowlist() async throws {
        for (ranges, expected) in [(["10.0.0.0/8", "2001:db8::/32"], 403), (["127.0.0.0/8"], 204)] {
            try await Harness.with(sandbox: Self.silentSandbox, polling: E2E.callbacksOnly,
                                   adjust: { $0.allowFrom = ranges.compactMap(CIDR.init) }) { harness in
                let (row, _) = try await harness.submitted()
                let reply = try await Harness.send("POST", try await Self.callbackURL(harness), body: Self.succeeded)
                #expect(reply.status == expected, "\(ranges): \(reply.text)")
                let callbacks = try await harness.countEvents(where: "generation = ? AND source = 'callback'", [.integer(row)])
                #expect(callbacks == (expected == 204 ? 1 : 0))
                if expected == 403 {
                    #expect(reply.text.contains("source_not_allowed"))
                    #expect(try await harness.record(row).status == .starting)
                }
            }
        }
    }

    @Test("verify_callbacks: a forged SUCCEEDED is replaced by what the retrieval API says", arguments: StoreBackend.available)
    func verifyReplacesTheClaim(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, sandbox: Self.silentSandbox, polling: E2E.callbacksOnly, adjust: { $0.verifyCallbacks = true }) { harness in
            let (row, generationID) = try await harness.submitted()
            let reply = try await Harness.send("POST", try await Self.callbackURL(harness), body: Self.succeeded)
            #expect(reply.status == 204)
            let stored = try await harness.record(row)
            #expect(!stored.status.isFinal, "the forged SUCCEEDED must not be applied: \(stored.status)")
            #expect(await harness.retrievals(of: generationID) == 1, "one retrieval call confirms the claim")
            let events = try await harness.database.events(forRow: row)
            #expect(events.last?.source == .callback)
            #expect(events.last?.statusReported != .succeeded)
            #expect(events.last?.rawBody?.bytes == Self.succeeded, "the callback's own bytes are kept")
        }
    }

    @Test("verify_callbacks: when the retrieval API cannot confirm, 503 and nothing written (the sender retries)")
    func verifyUnavailable() async throws {
        var sandbox = Self.silentSandbox
        sandbox.faults.unavailable = 1
        sandbox.faults.faultyEndpoints = [.get]
        try await Harness.with(sandbox: sandbox, polling: E2E.callbacksOnly, adjust: { $0.verifyCallbacks = true }) { harness in
            let (row, _) = try await harness.submitted()
            let reply = try await Harness.send("POST", try await Self.callbackURL(harness), body: Self.succeeded)
            #expect(reply.status == 503)
            #expect(reply.text.contains("verification_unavailable"))
            #expect(try await harness.countEvents(where: "generation = ? AND source = 'callback'", [.integer(row)]) == 0)
            #expect(try await harness.record(row).status == .starting)
        }
    }

    @Test("verify_callbacks: when the store cannot be read to find what to confirm, 503 and nothing written")
    func verifyStoreUnreadable() async throws {
        try await Harness.with(sandbox: Self.silentSandbox, polling: E2E.callbacksOnly, adjust: { $0.verifyCallbacks = true }) { harness in
            let (row, generationID) = try await harness.submitted()
            let callbackURL = try await Self.callbackURL(harness)
            // Given a store that fails every read and write from now on
            try await harness.database.close()
            // When a terminal callback comes
            let reply = try await Harness.send("POST", callbackURL, body: Self.succeeded)
            // Then it is not let through unverified: 503, the service was not asked, nothing was written
            #expect(reply.status == 503, "\(reply.text)")
            #expect(E2E.errorCode(reply) == "verification_unavailable")
            #expect(await harness.retrievals(of: generationID) == 0)
            let callbacks = try await withDatabase(at: harness.databasePath) { reopened in
                try await reopened.read { db in
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE generation = ? AND source = 'callback'", arguments: [row]) ?? 0
                }
            }
            #expect(callbacks == 0)
        }
    }
}
