import DeclutterDaemon
import Foundation
import TestSupport
import Testing

/// The listeners under abuse: every connection is bounded in time, and each listener in number, without
/// keeping a real caller out.
@Suite("Connections: caps and timeouts")
struct ConnectionLimitsTests {
    static func port(_ url: String) throws -> Int { try #require(URL(string: url)?.port) }

    static func callback(path: String) -> String {
        let body = #"{"status": "PROCESSING"}"#
        return "POST \(path) HTTP/1.1\r\nHost: callbacks.example\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
    }

    @Test("with the listener full of idle, half-sent, slow-body and answered-early connections, real callbacks still get 204 at once")
    func realCallbacksGetThrough() async throws {
        try await Harness.with(sandbox: E2E.silentSandbox, polling: E2E.callbacksOnly, adjust: {
            $0.connections.callbackConnections = 32
            // only making room, not timing out, can let them in
            $0.connections.headerTimeout = .seconds(60)
            $0.connections.bodyTimeout = .seconds(60)
            $0.connections.idleTimeout = .seconds(60)
        }) { harness in
            _ = try await harness.submitted()
            let url = try #require(URL(string: try await EndToEndCallbackOptionsTests.callbackURL(harness)))
            let port = try #require(url.port)
            // Given the maximum of connections held open: idle ones, and ones that sent half a request head
            var held: [RawConnection] = []
            for index in 0..<48 {
                let connection = try RawConnection(port: port)
                switch index % 4 {
                case 0:  // half a head
                    try connection.send("POST /callbacks/x HTTP/1.1\r\nHost: a\r\n")
                case 1:  // a body trickling in
                    try connection.send("POST /callbacks/x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
                case 2:  // answered before its body came (415), then the body, then silence
                    try connection.send("POST /callbacks/x HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n")
                    _ = await connection.receive(timeout: .seconds(15))
                    try connection.send("x")
                default:  // idle
                    break
                }
                held.append(connection)
            }
            // When real callbacks come, each on a new connection
            for _ in 0..<10 {
                let caller = try RawConnection(port: port)
                try caller.send(Self.callback(path: url.path))
                // Then each is answered 204, long before any held connection's timeout (a minute) would have made room:
                // room was made for it at once (how fast is the machine's business; that it is answered at all is ours)
                let answer = await caller.receive(timeout: .seconds(15))
                guard case .data(let text) = answer else { Issue.record("no answer: \(answer)"); continue }
                #expect(text.hasPrefix("HTTP/1.1 204"), "\(text)")
            }
            let metrics = try await harness.local("GET", "/metrics").text
            #expect(metrics.contains(#"declutterd_connections_dropped_total{reason="evicted",listener="callbacks"}"#))
            #expect(!metrics.contains(#"declutterd_connections_dropped_total{reason="evicted",listener="callbacks"} 0"#))
            withExtendedLifetime(held) {}
        }
    }

    @Test("a silent connection and a slow head are closed after the header timeout")
    func headerTimeout() async throws {
        try await Harness.with(adjust: { $0.connections.headerTimeout = .milliseconds(200) }) { harness in
            let port = try Self.port(harness.daemon.callbackBaseURL)
            let silent = try RawConnection(port: port)
            let slowHead = try RawConnection(port: port)
            try? slowHead.send("GET /healthz HTTP/1.1\r\n")  // a busy machine may have closed it already: that is the point
            try await Self.expectClosed(["silent": silent, "slow head": slowHead], counted: ["header_timeout"], harness)
        }
    }

    /// The requests here are whole: a header timeout long enough that no busy machine cuts one as a slow head, so the
    /// body and idle timeouts alone decide (a whole request cut after 200 ms would be a timing accident, not a rule).
    @Test("a slow body and an idle kept-alive connection are closed after their timeouts")
    func bodyAndIdleTimeouts() async throws {
        try await Harness.with(adjust: {
            $0.connections.headerTimeout = .seconds(60)
            $0.connections.bodyTimeout = .milliseconds(200)
            $0.connections.idleTimeout = .milliseconds(200)
        }) { harness in
            let port = try Self.port(harness.daemon.callbackBaseURL)
            let slowBody = try RawConnection(port: port)
            try slowBody.send("POST /callbacks/x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"st")
            let keptAlive = try RawConnection(port: port)
            try keptAlive.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            guard case .data(let first) = await keptAlive.receive(timeout: .seconds(15)) else { Issue.record("no answer"); return }
            #expect(first.hasPrefix("HTTP/1.1 200"))
            try await Self.expectClosed(["slow body": slowBody, "kept alive": keptAlive], counted: ["body_timeout", "idle_timeout"], harness)
        }
    }

    /// Each connection closed by the daemon (within a bound only a broken timeout reaches), each reason counted.
    static func expectClosed(_ connections: [String: RawConnection], counted reasons: [String], _ harness: Harness) async throws {
        for (name, connection) in connections {
            #expect(await connection.receive(timeout: .seconds(10)) == .closed, "\(name) is still open")
        }
        // Read in the process, not over HTTP: the local listener has the same 200 ms timeouts, which a loaded machine
        // could meet with this request itself.
        let metrics = harness.daemon.daemon.metrics.exposition()
        for reason in reasons {
            #expect(metrics.contains(#"declutterd_connections_dropped_total{reason="\#(reason)",listener="callbacks"}"#), "\(reason)")
            #expect(!metrics.contains(#"declutterd_connections_dropped_total{reason="\#(reason)",listener="callbacks"} 0"#), "\(reason)")
        }
    }

    @Test("Expect: 100-continue gets its interim answer; a transfer coding other than chunked gets 501 and nothing is read")
    func httpDetails() async throws {
        try await Harness.with { harness in
            let port = try Self.port(harness.daemon.callbackBaseURL)
            let expecting = try RawConnection(port: port)
            try expecting.send("POST /callbacks/x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
            guard case .data(let interim) = await expecting.receive(timeout: .seconds(15)) else { Issue.record("no interim answer"); return }
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"), "\(interim)")
            try expecting.send("{}")
            guard case .data(let final) = await expecting.receive(timeout: .seconds(15)) else { Issue.record("no answer"); return }
            #expect(final.contains("HTTP/1.1 404"), "an unknown token: \(final)")

            let gzipped = try RawConnection(port: port)
            try gzipped.send("POST /callbacks/x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
            guard case .data(let refused) = await gzipped.receive(timeout: .seconds(15)) else { Issue.record("no answer"); return }
            #expect(refused.hasPrefix("HTTP/1.1 501"), "\(refused)")
            #expect(refused.contains("unsupported_transfer_coding"))
        }
    }
}
