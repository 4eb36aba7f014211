import DeclutterDaemon
import Foundation
import TestSupport
import Testing

/// The local API refuses what a web page in a browser on the same host could send it, and writes nothing.
@Suite("Local API: the cross-site guard")
struct CrossSiteGuardTests {
    static let submission = #"{"image_url": "https://images.example/room.jpg", "auto": true}"#

    @Test("what a page can send cross-site without asking is refused, with no row written", arguments: [
        (["Content-Type": "text/plain"], 415, "unsupported_media_type"),
        (["Content-Type": "application/x-www-form-urlencoded"], 415, "unsupported_media_type"),
        (["Content-Type": "multipart/form-data; boundary=x"], 415, "unsupported_media_type"),
        (["Origin": "https://evil.example"], 403, "cross_origin_refused"),
        (["Origin": "null"], 403, "cross_origin_refused"),
        (["Origin": "http://localhost:3000"], 403, "cross_origin_refused"),
        (["Sec-Fetch-Site": "cross-site"], 403, "cross_origin_refused"),
        (["Sec-Fetch-Site": "same-site"], 403, "cross_origin_refused"),
        (["Content-Type": "text/plain", "Origin": "https://evil.example"], 403, "cross_origin_refused"),
        (["Host": "evil.example"], 421, "host_not_allowed"),
        (["Host": "rebound.attacker.example:8788"], 421, "host_not_allowed"),
    ])
    func refused(headers: [String: String], status: Int, code: String) async throws {
        try await Harness.with { harness in
            let before = try await harness.rowCounts()
            let reply = try await harness.local("POST", "/v1/generations", json: Self.submission, headers: headers)
            #expect(reply.status == status, "\(reply.text)")
            #expect(E2E.errorCode(reply) == code)
            #expect(try await harness.rowCounts() == before, "a refused request wrote something")
            #expect(await harness.sandbox.sandbox.counters().generateCalls == 0, "a refused request reached the service")
        }
    }

    @Test("reads are guarded too: a foreign Host (DNS rebinding) cannot read the stats, a foreign Origin cannot either")
    func reads() async throws {
        try await Harness.with { harness in
            let rebound = try await harness.local("GET", "/v1/stats", headers: ["Host": "evil.example"])
            let foreign = try await harness.local("GET", "/v1/stats", headers: ["Origin": "https://evil.example"])
            let own = try await harness.local("GET", "/v1/stats")
            #expect(rebound.status == 421)
            #expect(foreign.status == 403)
            #expect(own.status == 200)
        }
    }

    @Test("the API's own origin, loopback names and local.allowed_hosts are accepted")
    func accepted() async throws {
        try await Harness.with(adjust: { $0.localAllowedHosts = ["declutterd.internal"] }) { harness in
            let port = try #require(URL(string: harness.daemon.localURL)?.port)
            let own = try await harness.local("POST", "/v1/generations", json: Self.submission,
                                              headers: ["Origin": "http://127.0.0.1:\(port)", "Sec-Fetch-Site": "same-origin"])
            #expect(own.status == 202, "\(own.text)")
            for host in ["localhost:\(port)", "localhost.", "127.0.0.2", "[::1]:\(port)", "declutterd.internal", "DECLUTTERD.INTERNAL:\(port)"] {
                let reply = try await harness.local("GET", "/v1/stats", headers: ["Host": host])
                #expect(reply.status == 200, "Host: \(host) → \(reply.status) \(reply.text)")
            }
            let charset = try await harness.local("POST", "/v1/generations", json: Self.submission,
                                                  headers: ["Content-Type": "application/json; charset=utf-8"])
            #expect(charset.status == 202, "\(charset.text)")
        }
    }

    @Test("a POST with a body but no Content-Type is refused; one with neither body nor type (refresh) is not")
    func missingType() async throws {
        try await Harness.with { harness in
            let submitted = try await harness.submitted()
            let bare = try await Harness.send("POST", harness.daemon.localURL + "/v1/generations", body: Data(Self.submission.utf8),
                                              headers: ["Content-Type": ""])
            #expect(bare.status == 415, "\(bare.text)")
            let refresh = try await harness.local("POST", "/v1/generations/\(submitted.row)/refresh")
            #expect(refresh.status == 200, "\(refresh.text)")
        }
    }
}
