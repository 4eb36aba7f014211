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
        (["Content-Type": "image/webp"], 415, "unsupported_media_type"),
        (["Content-Type": "multipart/form-data; boundary=x", "Origin": "https://evil.example"], 403, "cross_origin_refused"),
        (["Content-Type": "multipart/form-data; boundary=x", "Sec-Fetch-Site": "cross-site"], 403, "cross_origin_refused"),
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

    @Test("a photo upload from a foreign page (a form a page may post without asking) is refused before a byte is kept", arguments: [
        ["Origin": "https://evil.example"], ["Origin": "null"], ["Sec-Fetch-Site": "cross-site"], ["Sec-Fetch-Site": "same-site"],
        ["Host": "rebound.attacker.example"],
    ])
    func foreignUploads(headers: [String: String]) async throws {
        try await Harness.with { harness in
            let before = try await harness.rowCounts()
            let png = Uploads.png()
            for reply in [try await harness.upload([.file("image", png), .text("auto", "true")], headers: headers),
                          try await harness.upload(raw: png, headers: headers)] {
                #expect([403, 421].contains(reply.status), "\(headers): \(reply.status) \(reply.text)")
                #expect(["cross_origin_refused", "host_not_allowed"].contains(E2E.errorCode(reply) ?? ""), "\(reply.text)")
            }
            #expect(try await harness.rowCounts() == before, "a refused upload wrote something")
            #expect(try await harness.uploadRows() == 0)
            let files = try await harness.archiveFiles()
            #expect(files.kept.isEmpty && files.temporary.isEmpty, "\(files)")
            #expect(await harness.sandbox.sandbox.counters().generateCalls == 0, "a refused upload reached the service")
        }
    }

    @Test("upload bodies are taken by POST /v1/generations only: every other route stays JSON-only", arguments: StoreBackend.available)
    func uploadsOnOneRoute(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            let submitted = try await harness.submitted()
            let form = Uploads.form([.file("image", Uploads.png()), .text("auto", "true")])
            for path in ["/v1/generations/\(submitted.row)/variations", "/v1/track", "/v1/endpoints", "/v1/generations/\(submitted.row)/refresh"] {
                for type in [Uploads.formType, "image/png", "image/jpeg"] {
                    let reply = try await Harness.send("POST", harness.daemon.localURL + path, body: form, headers: ["Content-Type": type])
                    #expect(reply.status == 415 && E2E.errorCode(reply) == "unsupported_media_type", "\(path) \(type): \(reply.text)")
                    #expect(E2E.errorMessage(reply)?.contains("must be application/json") == true, "\(reply.text)")
                }
            }
            let other = try await harness.local("POST", "/v1/generations", json: "x", headers: ["Content-Type": "text/plain"])
            #expect(E2E.errorMessage(other)?.contains("application/json, multipart/form-data, image/jpeg or image/png") == true, "\(other.text)")
            // The API's own origin may upload, as the command line does (with no Origin at all).
            let port = try #require(URL(string: harness.daemon.localURL)?.port)
            let own = try await harness.upload([.file("image", Uploads.png()), .text("auto", "true")],
                                               headers: ["Origin": "http://127.0.0.1:\(port)", "Sec-Fetch-Site": "same-origin"])
            #expect(own.status == 202, "\(own.text)")
        }
    }

    @Test("reads are guarded too: a foreign Host (DNS rebinding) cannot read the stats, a foreign Origin cannot either", arguments: StoreBackend.available)
    func reads(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            let rebound = try await harness.local("GET", "/v1/stats", headers: ["Host": "evil.example"])
            let foreign = try await harness.local("GET", "/v1/stats", headers: ["Origin": "https://evil.example"])
            let own = try await harness.local("GET", "/v1/stats")
            #expect(rebound.status == 421)
            #expect(foreign.status == 403)
            #expect(own.status == 200)
        }
    }

    @Test("the API's own origin, loopback names and local.allowed_hosts are accepted", arguments: StoreBackend.available)
    func accepted(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend, adjust: { $0.localAllowedHosts = ["declutterd.internal"] }) { harness in
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

    @Test("a POST with a body but no Content-Type is refused; one with neither body nor type (refresh) is not", arguments: StoreBackend.available)
    func missingType(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            let submitted = try await harness.submitted()
            let bare = try await Harness.send("POST", harness.daemon.localURL + "/v1/generations", body: Data(Self.submission.utf8),
                                              headers: ["Content-Type": ""])
            #expect(bare.status == 415, "\(bare.text)")
            let refresh = try await harness.local("POST", "/v1/generations/\(submitted.row)/refresh")
            #expect(refresh.status == 200, "\(refresh.text)")
        }
    }
}
