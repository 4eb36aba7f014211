@testable import DeclutterDaemon
@testable import DeclutterStore
import Foundation
import TestSupport
import Testing

/// The dashboard's pages against the real daemon (docs/dashboard.md): landmarks, security headers, escaping, filters,
/// and what the detail page links.
@Suite("Dashboard")
struct DashboardTests {
    static let hostile = #"https://x.example/a.jpg?q="><script>alert(1)</script>"#

    @Test("every page answers 200 text/html with the landmarks and the security headers; the assets are cacheable", arguments: StoreBackend.available)
    func pagesAndHeaders(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            let row = try E2E.row(try await harness.submit())
            for (path, title) in [("/", "Overview"), ("/generations", "Generations"), ("/generations/\(row)", "Generation \(row)"), ("/endpoints", "Endpoints")] {
                let reply = try await harness.local("GET", path)
                #expect(reply.status == 200, "\(path): \(reply.text.prefix(300))")
                Dashboard.expectPageHeaders(reply, path)
                let html = reply.text
                #expect(html.contains("<title>\(title) · declutterd</title>"), "\(path)")
                for landmark in ["<header>", #"<nav aria-label="Main">"#, #"<main id="main">"#, #"id="notice""#, #"aria-live="polite""#,
                                 #"<script src="/dashboard/app.js" defer></script>"#, #"href="/dashboard/app.css""#] {
                    #expect(html.contains(landmark), "\(path) has \(landmark)")
                }
                #expect(!html.contains("<script>") && !html.contains("style="), "\(path): no inline script or style")
                // The messages app.js follows come from the server's list, not from the script.
                let generationTypes = MessageType.allCases.map(\.rawValue).filter { $0.hasPrefix("generation.") }
                #expect(html.contains(#"data-event-types="\#(generationTypes.joined(separator: " "))""#), "\(path)")
            }
            // The tables a script or a browser test looks for are there even when empty.
            #expect(try await harness.local("GET", "/endpoints").text.contains(#"<table id="endpoints">"#))
            #expect(try await harness.local("GET", "/generations/\(row)").text.contains(#"<table id="deliveries">"#))
            for (path, type) in [("/dashboard/app.css", "text/css"), ("/dashboard/app.js", "application/javascript")] {
                let reply = try await harness.local("GET", path)
                #expect(reply.status == 200)
                #expect(reply.header("content-type")?.hasPrefix(type) == true, "\(path)")
                #expect(reply.header("cache-control")?.contains("max-age") == true, "\(path)")
            }
        }
    }

    @Test("the overview shows counts per state and the 24-hour chart", arguments: StoreBackend.available)
    func overview(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            _ = try await harness.settledInArchive()
            let html = try await harness.local("GET", "/").text
            #expect(html.contains(#"<dd data-state="SUCCEEDED">1</dd>"#), "\(html)")
            #expect(html.contains(#"<svg id="hourly-chart""#))
            #expect(html.contains(#"class="bar succeeded""#))
            for id in ["remaining-photos", "refunds", "resolved-callback", "resolved-poll", "oldest-pending", "polls-in-flight",
                       "pending-deliveries", "failed-deliveries", "disabled-endpoints", "archive-pending", "archive-archived", "archive-failed"] {
                #expect(html.contains(#"id="\#(id)""#), "overview shows \(id)")
            }
        }
    }

    @Test("a hostile image_url and status reason are rendered escaped on the list and the detail page")
    func escaping() async throws {
        try await Harness.with { harness in
            // A generation never sent upstream: nothing but this test writes its row.
            let row = try await harness.generationWithUpload(ArchiveServing.png())
            try await harness.sqlite.write { db in
                try db.execute(sql: "UPDATE generations SET image_url = ?, status_reason = ? WHERE id = ?",
                               arguments: [Self.hostile, "<script>alert(2)</script>", row])
            }
            for path in ["/generations", "/generations/\(row)"] {
                let html = try await harness.local("GET", path).text
                #expect(!html.contains("<script>alert"), "\(path) escapes data")
                #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(path) shows the URL escaped")
                #expect(html.contains("&quot;&gt;"), "\(path): the quote cannot close an attribute")
            }
            let detail = try await harness.local("GET", "/generations/\(row)").text
            #expect(detail.contains("&lt;script&gt;alert(2)&lt;/script&gt;"))
        }
    }

    @Test("the endpoints page lists an endpoint with its buttons, never its secret", arguments: StoreBackend.available)
    func endpointsWithoutSecret(_ backend: StoreBackend) async throws {
        try await RouterHarness.with(backend: backend) { harness in
            let added = try await harness.local("POST", "/v1/endpoints", json: #"{"url": "http://127.0.0.1:9/hook", "description": "<b>listing</b>"}"#)
            #expect(added.status == 201)
            let secret = try #require(added.json["secret"] as? String)
            let id = try #require(added.json["id"] as? Int)
            let html = try await harness.local("GET", "/endpoints").text
            #expect(html.contains(#"<table id="endpoints">"#))
            #expect(html.contains(#"<tr data-endpoint-id="\#(id)" data-state="enabled">"#))
            #expect(html.contains(#"class="enable" type="button" data-endpoint-id="\#(id)""#))
            #expect(html.contains(#"class="recover" type="button" data-endpoint-id="\#(id)""#))
            #expect(html.contains("http://127.0.0.1:9/hook") && html.contains("&lt;b&gt;listing&lt;/b&gt;"))
            #expect(!html.contains(secret), "no secret on the page")
            #expect(!html.contains(String(secret.suffix(16))), "no part of the secret either")
        }
    }

    @Test("the list filters by status, kind and project, and pages with a next link", arguments: StoreBackend.available)
    func listFilters(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            let submitted = try E2E.row(try await harness.submit())
            let tracked = try await harness.local("POST", "/v1/track", json: #"{"generation_id": "\#(UUID().uuidString.lowercased())"}"#)
            let trackedRow = try E2E.row(tracked.json)
            let all = try await harness.local("GET", "/generations").text
            #expect(all.contains(#"<table id="generations" data-live="true">"#))
            #expect(all.contains(#"<tr data-generation-id="\#(submitted)""#) && all.contains(#"<tr data-generation-id="\#(trackedRow)""#))
            #expect(all.contains(#"<a href="/generations/\#(submitted)">"#))

            let onlyTracked = try await harness.local("GET", "/generations?kind=tracked").text
            #expect(onlyTracked.contains(#"data-generation-id="\#(trackedRow)""#))
            #expect(!onlyTracked.contains(#"data-generation-id="\#(submitted)""#))
            #expect(onlyTracked.contains(#"data-live="false""#))
            #expect(onlyTracked.contains(#"<option value="tracked" selected>"#))

            // A generation never sent upstream stays SUBMITTING: nothing races the filter.
            let waiting = try await harness.generationWithUpload(ArchiveServing.png())
            let byStatus = try await harness.local("GET", "/generations?status=submitting").text
            #expect(byStatus.contains(#"<tr data-generation-id="\#(waiting)" data-status="SUBMITTING">"#))
            #expect(byStatus.contains(#"<td class="status">SUBMITTING</td>"#))
            #expect(byStatus.components(separatedBy: #"<td class="status">"#).dropFirst().allSatisfy { $0.hasPrefix("SUBMITTING<") })

            let none = try await harness.local("GET", "/generations?project_id=\(UUID().uuidString)").text
            #expect(!none.contains("<tr data-generation-id=") && none.contains(#"id="empty""#))

            let refused = try await harness.local("GET", "/generations?since=yesterday")
            #expect(refused.status == 400 && refused.text.contains(#"id="filter-problems""#))
            Dashboard.expectPageHeaders(refused, "bad filter")

            // Given 51 generations, the first page shows 50 and links the next.
            for _ in 0..<50 { _ = try await harness.local("POST", "/v1/track", json: #"{"generation_id": "\#(UUID().uuidString.lowercased())"}"#) }
            let first = try await harness.local("GET", "/generations?kind=tracked").text
            #expect(first.components(separatedBy: "<tr data-generation-id=").count - 1 == 50)
            #expect(first.contains(#"id="next-page""#) && first.contains("cursor="))
        }
    }

    @Test("the detail page of a SUCCEEDED generation shows before/after, the slider, timeline and buttons", arguments: StoreBackend.available)
    func detail(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            let record = try await harness.settledInArchive()
            let row = try E2E.row(record)
            let uuid = try #require(record["generation_id"] as? String)
            for id in [String(row), uuid] {
                let reply = try await harness.local("GET", "/generations/\(id)")
                #expect(reply.status == 200)
                let html = reply.text
                #expect(html.contains("<h1>Generation \(row) (\(uuid))</h1>"))
                #expect(html.contains(#"<span id="status" data-status="SUCCEEDED">SUCCEEDED</span>"#))
                #expect(html.contains(#"<img class="after-side" src="/v1/generations/\#(row)/images/0""#))
                // The original came as a URL, not an upload: a link, never an image the browser would fetch
                #expect(html.contains(#"<a href="https://images.example/room.jpg" rel="noreferrer noopener""#))
                #expect(!html.contains(#"src="https://images.example"#))
                #expect(!html.contains(#"<div id="compare""#), "the slider compares the daemon's own copies only")
                #expect(html.contains(#"<ol id="timeline">"#) && html.contains("<details><summary>Raw body</summary><pre>"))
                #expect(html.contains(#"<button id="refresh""#) && html.contains(#"<button id="vary""#))
            }
            let missing = try await harness.local("GET", "/generations/999999")
            #expect(missing.status == 404)
        }
    }

    @Test("a result URL the archiver refused (loopback) is shown as text, never as an <img> the operator's browser would fetch", arguments: StoreBackend.available)
    func refusedResultIsText(_ backend: StoreBackend) async throws {
        // The archiver refuses loopback and private addresses (the harness allows them for the sandbox's images)
        try await Harness.with(backend: backend, sandbox: E2E.silentSandbox, polling: E2E.callbacksOnly, adjust: {
            $0.archive.allowPrivate = false
            $0.archive.allowHosts = []
        }) { harness in
            let (row, _) = try await harness.submitted()
            let callback = try await EndToEndCallbackOptionsTests.callbackURL(harness)
            let refused = "http://127.0.0.1:9/admin/secret.png"
            let body = #"{"status": "SUCCEEDED", "images": ["\#(refused)"]}"#
            #expect(try await Harness.send("POST", callback, body: Data(body.utf8)).status == 204)
            try await eventually("the image refused") {
                let images = try await harness.local("GET", "/v1/generations/\(row)").json["archive"] as? [[String: Any]]
                return images?.first?["state"] as? String == "failed"
            }
            let reply = try await harness.local("GET", "/generations/\(row)")
            let html = reply.text
            #expect(!html.contains(#"src="http"#), "no <img> points outside the daemon")
            #expect(html.contains(#"<code id="after-source">\#(refused)</code>"#))
            #expect(reply.header("content-security-policy")?.contains("img-src 'self' data:;") == true)
        }
    }

    @Test("the dashboard is on the local listener only, and its guard refuses a foreign Host", arguments: StoreBackend.available)
    func localOnly(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            let onPublic = try await Harness.send("GET", harness.daemon.callbackBaseURL + "/generations")
            #expect(onPublic.status == 404)
            let foreign = try await harness.local("GET", "/", headers: ["Host": "evil.example"])
            #expect(foreign.status == 421)
            let crossSite = try await harness.local("GET", "/", headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(crossSite.status == 403)
        }
    }
}

enum Dashboard {
    static func expectPageHeaders(_ reply: Harness.Reply, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.header("content-type") == "text/html; charset=utf-8", "\(what)", sourceLocation: sourceLocation)
        #expect(reply.header("content-security-policy") == DashboardResponse.contentSecurityPolicy, "\(what)", sourceLocation: sourceLocation)
        #expect(reply.header("content-security-policy")?.contains("script-src 'self'") == true, sourceLocation: sourceLocation)
        #expect(reply.header("x-content-type-options") == "nosniff", "\(what)", sourceLocation: sourceLocation)
        #expect(reply.header("referrer-policy") == "no-referrer", "\(what)", sourceLocation: sourceLocation)
    }
}
