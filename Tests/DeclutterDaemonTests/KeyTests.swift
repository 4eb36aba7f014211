import AsyncHTTPClient
import DeclutterAPI
import DeclutterDaemon
import DeclutterSandbox
import DeclutterStore
import LocalClient
import Foundation
import TestSupport
import Testing

/// Local API keys end to end (docs/keys.md): scopes on each kind of route, revocation on every instance, budgets under
/// concurrent submissions, refunds, and the dashboard's login.
@Suite("Keys, scopes and budgets")
struct KeyTests {
    static func required(_ configuration: inout DaemonConfiguration) { configuration.localAuth = .required }
    static let submitBody = #"{"image_url": "https://images.example/room.jpg", "auto": true}"#

    /// `Authorization: Bearer token`.
    static func bearer(_ token: String) -> [String: String] { ["Authorization": "Bearer " + token] }

    /// The status of a request whose answer may be a stream that never ends (`GET /v1/events`): its head only.
    static func headStatus(_ url: String, headers: [String: String]) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await DeclutterClient.sharedHTTPClient.execute(request, timeout: .seconds(30))
        return Int(response.status.code)
    }

    @Test("each scope is refused and allowed on a route of each kind; no key is 401, a forged one too; open routes stay open")
    func scopes() async throws {
        try await Harness.with(adjust: Self.required) { harness in
            var tokens: [KeyScope: String] = [:]
            for scope in KeyScope.allCases {
                tokens[scope] = try await harness.database.issueKey(name: "only-\(scope.rawValue)", scopes: [scope], budget: nil, at: Date()).token
            }
            let routes: [(method: String, path: String, body: String?, scope: KeyScope, allowed: Int)] = [
                ("GET", "/v1/generations", nil, .read, 200), ("GET", "/v1/stats", nil, .read, 200), ("GET", "/metrics", nil, .read, 200),
                ("GET", "/", nil, .read, 200), ("GET", "/generations", nil, .read, 200),
                ("POST", "/v1/generations", Self.submitBody, .submit, 202),
                ("POST", "/v1/track", #"{"generation_id": "\#(UUID().uuidString.lowercased())"}"#, .submit, 202),
                ("POST", "/v1/listings", ListingTests.urlListing("L-scoped", photos: 1), .submit, 202),
                ("GET", "/v1/endpoints", nil, .admin, 200), ("GET", "/v1/deliveries", nil, .admin, 200), ("GET", "/v1/keys", nil, .admin, 200),
                ("GET", "/keys", nil, .admin, 200), ("POST", "/v1/dashboard-links", nil, .admin, 201),
            ]
            for route in routes {
                let anonymous = try await harness.local(route.method, route.path, json: route.body)
                #expect(anonymous.status == 401, "\(route.method) \(route.path) without a key: \(anonymous.status)")
                if route.method == "GET", !route.path.hasPrefix("/v1/"), route.path != "/metrics" {
                    #expect(anonymous.text.contains("declutterd dashboard-link"), "a page says how to log in")
                } else {
                    #expect(E2E.string(anonymous.json["error"] as? [String: Any] ?? [:], "code") == "unauthorized")
                    #expect(anonymous.header("WWW-Authenticate") == "Bearer")
                }
                for scope in KeyScope.allCases {
                    let reply = try await harness.local(route.method, route.path, json: route.body, headers: Self.bearer(tokens[scope]!))
                    if scope == route.scope {
                        #expect(reply.status == route.allowed, "\(route.method) \(route.path) with \(scope): \(reply.status) \(reply.text.prefix(200))")
                    } else {
                        let error = reply.json["error"] as? [String: Any] ?? [:]
                        #expect(reply.status == 403 && E2E.string(error, "code") == "missing_scope" && E2E.string(error, "scope") == route.scope.rawValue,
                                "\(route.method) \(route.path) with \(scope): \(reply.status) \(reply.text.prefix(200))")
                    }
                }
            }
            // The event stream: read only.
            let events = harness.daemon.localURL + "/v1/events"
            #expect(try await Self.headStatus(events, headers: [:]) == 401)
            #expect(try await Self.headStatus(events, headers: Self.bearer(tokens[.submit]!)) == 403)
            #expect(try await Self.headStatus(events, headers: Self.bearer(tokens[.read]!)) == 200)
            // A forged or unknown token is refused; health, readiness and the document stay open, whatever is sent.
            #expect(try await harness.local("GET", "/v1/generations", headers: Self.bearer("dcl_forged")).status == 401)
            #expect(try await harness.local("GET", "/v1/generations", headers: Self.bearer("not-even-a-key")).status == 401)
            for open in ["/healthz", "/readyz", "/openapi.yaml", "/dashboard/app.js"] {
                #expect(try await harness.local("GET", open).status == 200, "\(open)")
                #expect(try await harness.local("GET", open, headers: Self.bearer("dcl_forged")).status == 200, "\(open)")
            }
            // A submission records its key (and a listing's photos are launched as the listing's key), and the list filters on it;
            // the tracked generation has none.
            let keyed = try await harness.local("GET", "/v1/generations?key=only-submit", headers: Self.bearer(tokens[.read]!)).json
            let generations = keyed["generations"] as? [[String: Any]] ?? []
            #expect(!generations.isEmpty && generations.allSatisfy { $0["key"] as? String == "only-submit" && $0["kind"] as? String == "generation" })
            #expect(await harness.sandbox.sandbox.counters().generateCalls >= 1)
        }
    }

    @Test("a revoked key is refused at once, on every instance sharing the store")
    func revokedEverywhere() async throws {
        guard StoreBackend.available.contains(.postgres) else { return }
        try await Harness.with(backend: .postgres, adjust: Self.required) { harness in
            let admin = try await harness.database.issueKey(name: "ops", scopes: [.admin], budget: nil, at: Date()).token
            let reader = try await harness.database.issueKey(name: "dashboard-app", scopes: [.read], budget: nil, at: Date()).token
            let other = try await Self.secondInstance(of: harness)
            defer { Task { await other.stop() } }
            for instance in [harness.daemon.localURL, other.localURL] {
                #expect(try await Harness.send("GET", instance + "/v1/stats", headers: Self.bearer(reader)).status == 200)
            }
            let revoked = try await harness.local("POST", "/v1/keys/dashboard-app/revoke", headers: Self.bearer(admin))
            #expect(revoked.status == 200 && revoked.json["revoked_at"] != nil, "\(revoked.text)")
            for instance in [other.localURL, harness.daemon.localURL] {
                #expect(try await Harness.send("GET", instance + "/v1/stats", headers: Self.bearer(reader)).status == 401)
            }
            await other.stop()
        }
    }

    /// Another daemon on the harness's PostgreSQL schema: a second instance behind the same balancer.
    static func secondInstance(of harness: Harness) async throws -> RunningDaemon {
        let configuration = harness.daemon.daemon.configuration
        let store = try await Daemon.openStore(configuration, logger: Harness.quietLogger())
        return try await Daemon(configuration: configuration, store: store, logger: Harness.quietLogger()).start()
    }

    @Test("a budget of N under concurrent submissions (from two instances on PostgreSQL): exactly N launched, the rest refused 429, N upstream calls",
          arguments: StoreBackend.available)
    func budgetUnderConcurrency(_ backend: StoreBackend) async throws {
        let budget = 5
        let attempts = 16
        try await Harness.with(backend: backend, adjust: Self.required) { harness in
            let token = try await harness.database.issueKey(name: "importer", scopes: [.submit, .read], budget: KeyBudget(limit: budget, period: .day),
                                                            at: Date()).token
            let other = backend == .postgres ? try await Self.secondInstance(of: harness) : nil
            let instances = [harness.daemon.localURL] + (other.map { [$0.localURL] } ?? [])
            let replies = try await withThrowingTaskGroup(of: Harness.Reply.self) { group in
                for attempt in 0..<attempts {
                    group.addTask {
                        try await Harness.send("POST", instances[attempt % instances.count] + "/v1/generations",
                                               body: Data(#"{"image_url": "https://images.example/\#(attempt).jpg", "auto": true}"#.utf8),
                                               headers: Self.bearer(token))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let launched = replies.filter { $0.status == 202 }.count
            let refused = replies.filter { $0.status == 429 && E2E.string($0.json["error"] as? [String: Any] ?? [:], "code") == "budget_exhausted" }
            #expect(launched == budget, "\(replies.map(\.status))")
            #expect(refused.count == attempts - budget)
            #expect(refused.allSatisfy { Int($0.header("Retry-After") ?? "") ?? 0 > 0 })
            let calls = await harness.sandbox.sandbox.counters().generateCalls
            #expect(calls == budget, "the service saw \(calls) generate calls")
            let key = try await harness.local("GET", "/v1/stats", headers: Self.bearer(token)).json["keys"] as? [[String: Any]]
            #expect(key?.first?["used"] as? Int == budget && key?.first?["left"] as? Int == 0)
            print("budget \(budget) on \(backend) with \(instances.count) instance(s): \(launched) launched, \(refused.count) refused, \(calls) generate calls")
            await other?.stop()
        }
    }

    @Test("a FAILED generation's refund gives its photo back to the key's budget")
    func refundRestoresTheBudget() async throws {
        // The first generation is held until the second submission has been refused: nothing here depends on how fast
        // the sandbox ends it.
        let gate = SandboxGate()
        var sandbox = SandboxConfiguration.fast()
        sandbox.faults.failingGenerations = [0]
        sandbox.completionGate = gate
        try await Harness.with(sandbox: sandbox, adjust: Self.required) { harness in
            let token = try await harness.database.issueKey(name: "once", scopes: [.submit, .read], budget: KeyBudget(limit: 1, period: .month),
                                                            at: Date()).token
            let first = try await harness.local("POST", "/v1/generations", json: Self.submitBody, headers: Self.bearer(token))
            #expect(first.status == 202)
            #expect(try await harness.local("POST", "/v1/generations", json: Self.submitBody, headers: Self.bearer(token)).status == 429)
            gate.release()
            let ended = try await harness.local("GET", "/v1/generations/\(first.json["id"] ?? 0)?wait=20", headers: Self.bearer(token)).json
            #expect(ended["status"] as? String == "FAILED" && ended["refunded"] as? Bool == true, "\(ended)")
            let key = try await harness.database.key(named: "once", at: Date())
            #expect(key?.used == 0)
            #expect(try await harness.local("POST", "/v1/generations", json: Self.submitBody, headers: Self.bearer(token)).status == 202)
        }
    }

    @Test("a listing past the key's budget is refused whole, nothing recorded or kept")
    func listingPastTheBudget() async throws {
        try await Harness.with(adjust: Self.required) { harness in
            let token = try await harness.database.issueKey(name: "editor", scopes: [.submit], budget: KeyBudget(limit: 2, period: .day), at: Date()).token
            let refused = try await harness.local("POST", "/v1/listings", json: ListingTests.urlListing("L-big", photos: 3), headers: Self.bearer(token))
            #expect(refused.status == 429 && E2E.string(refused.json["error"] as? [String: Any] ?? [:], "code") == "budget_exhausted", "\(refused.text)")
            #expect(try await harness.database.listing(reference: "L-big") == nil)
            let accepted = try await harness.local("POST", "/v1/listings", json: ListingTests.urlListing("L-two", photos: 2), headers: Self.bearer(token))
            #expect(accepted.status == 202 && accepted.json["key"] as? String == "editor", "\(accepted.text)")
        }
    }

    @Test("the dashboard logs in once through a link: the cookie is HttpOnly and SameSite=Strict; forged and logged-out sessions are refused")
    func dashboardLogin() async throws {
        try await Harness.with(adjust: Self.required) { harness in
            let admin = try await harness.database.issueKey(name: "ops", scopes: [.admin, .read], budget: nil, at: Date()).token
            let link = try await harness.local("POST", "/v1/dashboard-links", headers: Self.bearer(admin))
            let path = try #require(link.json["path"] as? String)
            let login = try await harness.local("GET", path)
            #expect(login.status == 303 && login.header("Location") == "/")
            let cookie = try #require(login.header("Set-Cookie"))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Max-Age=43200") && !cookie.contains("Secure"))
            let session = String(cookie.split(separator: ";")[0])
            #expect(try await harness.local("GET", "/", headers: ["Cookie": session]).status == 200)
            #expect(try await harness.local("GET", "/keys", headers: ["Cookie": session]).status == 200)
            #expect(try await harness.local("GET", "/v1/stats", headers: ["Cookie": session]).status == 200)
            // Once only; through TLS behind a proxy the cookie is Secure.
            #expect(try await harness.local("GET", path).status == 401)
            let secureLink = try await harness.local("POST", "/v1/dashboard-links", headers: Self.bearer(admin)).json["path"] as? String ?? ""
            let secure = try await harness.local("GET", secureLink, headers: ["X-Forwarded-Proto": "https"])
            #expect(secure.header("Set-Cookie")?.contains("Secure") == true)
            // A forged session is refused.
            #expect(try await harness.local("GET", "/", headers: ["Cookie": "declutterd_session=forged"]).status == 401)
            // Logged out, the same cookie is refused.
            #expect(try await harness.local("POST", "/logout", json: "{}", headers: ["Cookie": session]).status == 204)
            #expect(try await harness.local("GET", "/", headers: ["Cookie": session]).status == 401)
        }
    }

    @Test("a session expires with local.session_ttl, by the daemon's clock")
    func sessionExpires() async throws {
        let clock = ManualClock()
        try await Harness.with(clock: .following(clock, from: Date()), adjust: {
            $0.localAuth = .required
            $0.sessionLifetime = .seconds(60)
        }) { harness in
            let admin = try await harness.database.issueKey(name: "ops", scopes: [.admin, .read], budget: nil, at: Date()).token
            let path = try await harness.local("POST", "/v1/dashboard-links", headers: Self.bearer(admin)).json["path"] as? String ?? ""
            let session = String((try await harness.local("GET", path).header("Set-Cookie") ?? "").split(separator: ";")[0])
            #expect(try await harness.local("GET", "/v1/stats", headers: ["Cookie": session]).status == 200)
            clock.advance(by: .seconds(61))
            #expect(try await harness.local("GET", "/v1/stats", headers: ["Cookie": session]).status == 401)
        }
    }
}

extension KeyTests {
    @Test("over the unix socket a request without a key acts as the host's operator; with a key, as that key")
    func unixSocket() async throws {
        let socket = FileManager.default.temporaryDirectory.appendingPathComponent("declutterd-keys-\(UUID().uuidString.prefix(8)).sock").path
        try await Harness.with(adjust: {
            $0.localAuth = .required
            $0.localSocket = socket
        }) { harness in
            let reader = try await harness.database.issueKey(name: "reader", scopes: [.read], budget: nil, at: Date()).token
            let endpoint = try LocalEndpoint("unix://" + socket)
            let operatorLink = try await LocalAPIClient.with(endpoint) { try await $0.dashboardLink() }
            #expect(operatorLink.value.path.hasPrefix("/login?code="))
            await #expect(throws: LocalClientError.self) {
                try await LocalAPIClient.with(endpoint, key: reader) { try await $0.dashboardLink() }
            }
            #expect(try await harness.local("POST", "/v1/dashboard-links").status == 401, "over TCP a key is needed")
        }
    }
}

extension KeyTests {
    @Test("an upload retried under its Idempotency-Key replays its first answer even once the budget is spent; a new one is refused, keeping no file")
    func uploadRetryAtTheLimit() async throws {
        try await Harness.with(adjust: Self.required) { harness in
            let token = try await harness.database.issueKey(name: "bulk", scopes: [.submit], budget: KeyBudget(limit: 1, period: .day), at: Date()).token
            let png = Uploads.png(aboutBytes: 4_000)
            let headers = Self.bearer(token).merging(["Idempotency-Key": "photo-1"]) { $1 }
            let first = try await harness.upload(raw: png, headers: headers)
            #expect(first.status == 202, "\(first.text)")
            let again = try await harness.upload(raw: png, headers: headers)
            #expect(again.status == 202 && again.header("Idempotent-Replayed") == "true" && again.json["id"] as? Int == first.json["id"] as? Int,
                    "\(again.status) \(again.text)")
            let other = Uploads.png(aboutBytes: 5_000)
            let refused = try await harness.upload(raw: other, headers: Self.bearer(token))
            #expect(refused.status == 429, "\(refused.text)")
            #expect(!harness.daemon.daemon.archiveDirectory.contains(sha256: Uploads.sha256(other)), "a refused upload keeps no file")
        }
    }
}
