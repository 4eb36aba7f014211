@testable import DeclutterDaemon
import DeclutterStore
import Foundation
import LocalClient
import TestSupport
import Testing

/// `declutterd endpoints|deliveries|redeliver|recover` run as a subprocess against a real daemon, and the
/// client calls behind them.
@Suite("declutterd delivery commands", .timeLimit(.minutes(1)))
struct DeliveryCLITests {
    @Test("endpoints add prints the secret once; list, show and --json never do; update, disable, enable, rotate-secret, remove")
    func endpoints() async throws {
        try await Harness.with { harness in
            let url = harness.daemon.localURL
            let added = try await CLI.run(["endpoints", "add", "http://127.0.0.1:9/hooks", "--types", "generation.succeeded,quota.low",
                                           "--description", "listing app", "--url", url])
            #expect(added.status == 0, "\(added)")
            let stored = try #require(try await harness.database.endpoints().first)
            #expect(added.stdout.contains("secret: \(stored.secret)\n") && added.stdout.contains("shown only now"), "\(added)")
            #expect(stored.types == [.generationSucceeded, .quotaLow] && stored.description == "listing app")

            let list = try await CLI.run(["endpoints", "list", "--url", url])
            #expect(list.status == 0 && list.stdout.hasPrefix("ID  STATE"), "\(list)")
            #expect(list.stdout.contains("generation.succeeded,quota.low") && list.stdout.contains("http://127.0.0.1:9/hooks"), "\(list)")
            let listJSON = try await CLI.run(["endpoints", "list", "--json", "--url", url])
            let show = try await CLI.run(["endpoints", "show", "1", "--url", url])
            let showJSON = try await CLI.run(["endpoints", "show", "1", "--json", "--url", url])
            for run in [list, listJSON, show, showJSON] {
                #expect(run.status == 0 && !run.stdout.contains(stored.secret) && !run.stdout.contains("whsec_") && !run.stdout.contains("secret"), "\(run)")
            }
            #expect((try JSONSerialization.jsonObject(with: Data(showJSON.stdout.utf8)) as? [String: Any])?["url"] as? String == "http://127.0.0.1:9/hooks")

            let updated = try await CLI.run(["endpoints", "update", "1", "--types", "all", "--description", "", "--endpoint-url", "http://[::1]:9/h",
                                             "--url", url])
            #expect(updated.status == 0 && updated.stdout.contains("types") && updated.stdout.contains("all"), "\(updated)")
            let afterUpdate = try #require(try await harness.database.endpoint(1))
            #expect(afterUpdate.types == nil && afterUpdate.description == nil && afterUpdate.url == "http://[::1]:9/h")

            let disabled = try await CLI.run(["endpoints", "disable", "1", "--json", "--url", url])
            #expect(disabled.status == 0 && disabled.stdout.contains(#""enabled":false"#), "\(disabled)")
            let enabled = try await CLI.run(["endpoints", "enable", "1", "--url", url])
            #expect(enabled.status == 0 && enabled.stdout.contains("enabled"), "\(enabled)")

            let rotated = try await CLI.run(["endpoints", "rotate-secret", "1", "--url", url])
            let afterRotation = try #require(try await harness.database.endpoint(1))
            #expect(rotated.status == 0 && rotated.stdout.contains("secret: \(afterRotation.secret)\n"), "\(rotated)")
            #expect(rotated.stdout.contains("previous secret keeps signing") && !rotated.stdout.contains(stored.secret), "\(rotated)")

            let removed = try await CLI.run(["endpoints", "remove", "1", "--url", url])
            #expect(removed.status == 0 && removed.stdout == "endpoint 1 removed\n", "\(removed)")
            let missing = try await CLI.run(["endpoints", "show", "1", "--url", url])
            #expect(missing.status == 66 && missing.stderr == "declutterd: no such endpoint (not_found)\n", "\(missing)")
        }
    }

    @Test("deliveries list/show, redeliver and recover; not found exits 66, bad arguments 64, a refused request 1")
    func deliveriesAndReplays() async throws {
        try await Harness.with { harness in
            let url = harness.daemon.localURL
            let seeded = try await DeliverySeed.make(harness)

            let failed = try await CLI.run(["deliveries", "list", "--endpoint", "\(seeded.all)", "--status", "failed", "--url", url])
            #expect(failed.status == 0 && failed.stdout.hasPrefix("ID  MESSAGE"), "\(failed)")
            #expect(failed.stdout.split(separator: "\n").count == 3 && failed.stdout.contains("HTTP 500"), "\(failed)")
            let byGeneration = try await CLI.run(["deliveries", "list", "--generation", seeded.recentGeneration.uuidString, "--json", "--url", url])
            let page = try JSONDecoder().decode(DeliveryListView.self, from: Data(byGeneration.stdout.utf8))
            #expect(page.deliveries.map(\.id) == [seeded.recentFailed], "\(byGeneration)")
            let paged = try await CLI.run(["deliveries", "list", "--limit", "1", "--url", url])
            #expect(paged.stderr.contains("more: add --cursor \(seeded.recentFailed)"), "\(paged)")

            let show = try await CLI.run(["deliveries", "show", "\(seeded.recentFailed)", "--url", url])
            #expect(show.status == 0 && show.stdout.contains("msg_\(seeded.recentMessage)") && show.stdout.contains("ATTEMPT"), "\(show)")

            let recovered = try await CLI.run(["recover", "\(seeded.all)", "--since", "2h", "--url", url])
            #expect(recovered.status == 0 && recovered.stdout == "queued 2 deliveries\n", "\(recovered)")
            let redelivered = try await CLI.run(["redeliver", "\(seeded.deliveredMessage)", "--json", "--url", url])
            #expect(redelivered.status == 0 && redelivered.stdout == #"{"queued":1}"# + "\n", "\(redelivered)")
            let none = try await CLI.run(["redeliver", "\(seeded.deliveredMessage)", "--endpoint", "\(seeded.succeededOnly)", "--url", url])
            #expect(none.status == 0 && none.stdout == "queued 0 deliveries\n", "\(none)")
            let statuses = try await seeded.statuses(harness)
            #expect(statuses.values.allSatisfy { $0 == .pending }, "\(statuses)")

            let notFound: [[String]] = [["deliveries", "show", "999999"], ["redeliver", "999999"], ["recover", "999999", "--since", "1h"],
                                        ["redeliver", "\(seeded.deliveredMessage)", "--endpoint", "999999"], ["endpoints", "enable", "999999"]]
            for arguments in notFound {
                let run = try await CLI.run(arguments + ["--url", url])
                #expect(run.status == 66 && run.stderr.hasSuffix("(not_found)\n"), "\(arguments): \(run)")
            }
            let usage: [[String]] = [["endpoints", "show", "abc"], ["endpoints", "show", "0"], ["recover", "1", "--since", "yesterday"],
                                     ["recover", "1"], ["endpoints", "add", "http://127.0.0.1:9/x", "--types", "generation.done"],
                                     ["endpoints", "update", "1"], ["deliveries", "list", "--status", "lost"], ["redeliver", "-3"]]
            for arguments in usage {
                let run = try await CLI.run(arguments + ["--url", url])
                #expect(run.status == 64, "\(arguments): \(run)")
            }
            let refused = try await CLI.run(["endpoints", "add", "ftp://127.0.0.1/x", "--url", url])
            #expect(refused.status == 1 && refused.stderr == "declutterd: `url` must be an absolute http(s) URL (invalid_url)\n", "\(refused)")
            #expect(try await harness.database.endpoints().count == 2)
        }
    }

    @Test("the client: add, update with cleared parts, remove (204), and its errors")
    func client() async throws {
        try await Harness.with { harness in
            try await LocalAPIClient.with(try LocalEndpoint(harness.daemon.localURL)) { client in
                let added = try await client.addEndpoint(url: "http://127.0.0.1:9/c", types: ["generation.failed"], description: "c")
                #expect(added.httpStatus == 201 && WebhookSecret.isValid(added.value.secret) && added.value.endpoint.types == ["generation.failed"])
                let id = added.value.endpoint.id
                let cleared = try await client.updateEndpoint(id, EndpointUpdate(description: .some(nil), types: .some(nil)))
                #expect(cleared.value.types == nil && cleared.value.description == nil && cleared.value.url == "http://127.0.0.1:9/c")
                let moved = try await client.updateEndpoint(id, EndpointUpdate(url: "http://127.0.0.1:9/d"))
                #expect(moved.value.url == "http://127.0.0.1:9/d" && moved.value.description == nil)
                #expect(try await client.endpoints().value.endpoints == [moved.value])
                let removed = try await client.removeEndpoint(id)
                #expect(removed.httpStatus == 204)
                let missing = await #expect(throws: LocalClientError.self) { try await client.endpoint(id) }
                #expect(missing?.exitCode == 66)
                let invalid = await #expect(throws: LocalClientError.self) { try await client.recover(endpoint: id, since: "soon") }
                #expect(invalid?.exitCode == 1 && invalid?.code == "invalid_since")
            }
        }
    }
}

@Suite("Delivery API: pure parts")
struct DeliveryAPIPureTests {
    @Test("a secret is whsec_ and the base64 of 32 random bytes; the check refuses anything else")
    func secrets() {
        let secrets = (0..<20).map { _ in WebhookSecret.generate() }
        #expect(Set(secrets).count == secrets.count)
        for secret in secrets {
            #expect(secret.hasPrefix("whsec_") && WebhookSecret.key(of: secret)?.count == 32 && WebhookSecret.isValid(secret), "\(secret)")
            #expect(secret.range(of: "^whsec_[A-Za-z0-9+/]+={0,2}$", options: .regularExpression) != nil)
        }
        for bad in ["", "whsec_", "whsec_!!!!", "wh_" + Data(count: 32).base64EncodedString(), "whsec_" + Data(count: 8).base64EncodedString(),
                    "whsec_" + Data(count: 65).base64EncodedString()] {
            #expect(!WebhookSecret.isValid(bad), "\(bad)")
        }
        #expect(WebhookSecret.isValid("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "the Standard Webhooks example secret")
    }

    @Test("recover's since: an age (the document's pattern, bounded) or an RFC 3339 time")
    func since() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(SinceText.date("2h", now: now) == now - 7200)
        #expect(SinceText.date("1d12h30m", now: now) == now - 131_400)
        #expect(SinceText.date("1.5h", now: now) == now - 5400)
        #expect(SinceText.date("9999d9999h9999m9999s9999ms", now: now) != nil, "the largest the pattern allows is within DurationText's bound")
        #expect(SinceText.date("2026-11-24T10:00:00Z", now: now) == RFC3339.date("2026-11-24T10:00:00Z"))
        for bad in ["", "2", "2H", "h", "10000d", "1h2d", "2 h", " 2h", "1.h", "yesterday", "2026-11-24"] {
            #expect(SinceText.date(bad, now: now) == nil, "\(bad)")
        }
        let age = try #require(OpenAPITests.document["components"]?["schemas"]?["Age"])
        #expect(age["pattern"]?.string == SinceText.agePattern && age["minLength"]?.number == 1)
        #expect(OpenAPITests.document["components"]?["schemas"]?["EndpointRequest"]?["properties"]?["description"]?["maxLength"]?.number
            == Double(DeliveryAPIController.maximumDescriptionLength))
    }
}
