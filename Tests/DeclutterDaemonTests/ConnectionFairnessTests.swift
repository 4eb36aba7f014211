import DeclutterDaemon
import Foundation
import TestSupport
import Testing

/// One connection takes no more than its turn: pipelined floods and peers that do not read their answers are cut
/// off, and everyone else is still answered (docs/operations.md, "Connections").
@Suite("Connections: pipelining depth and the write deadline")
struct ConnectionFairnessTests {
    static let healthz = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"

    /// Everything the connection is sent until the daemon closes it (or `timeout`, a bound only a failure reaches).
    static func drain(_ connection: RawConnection, timeout: Duration = .seconds(30)) async -> (text: String, closed: Bool) {
        var text = ""
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch await connection.receive(timeout: .seconds(5)) {
            case .closed: return (text, true)
            case .data(let more): text += more
            }
        }
        return (text, false)
    }

    static func answers(in text: String) -> Int { text.components(separatedBy: "HTTP/1.1 200").count - 1 }

    @Test("up to http.max_pipelined requests sent at once are all answered, in order")
    func pipeliningWithinTheDepth() async throws {
        try await Harness.with(adjust: { $0.connections.pipelineDepth = 16 }) { harness in
            let port = try #require(URL(string: harness.daemon.callbackBaseURL)?.port)
            let client = try RawConnection(port: port)
            try client.send(String(repeating: Self.healthz, count: 16))
            var text = ""
            try await eventually("16 answers") {
                if case .data(let more) = await client.receive(timeout: .seconds(1)) { text += more }
                return Self.answers(in: text) == 16
            }
        }
    }

    @Test("a flood of pipelined requests that reads nothing is closed after http.max_pipelined answers; both listeners keep answering")
    func pipelinedFlood() async throws {
        try await Harness.with(adjust: { $0.connections.pipelineDepth = 16 }) { harness in
            let port = try #require(URL(string: harness.daemon.callbackBaseURL)?.port)
            // Given 20 connections, each sending 2,000 pipelined requests and reading nothing
            let flood = String(repeating: Self.healthz, count: 2000)
            var attackers: [RawConnection] = []
            for _ in 0..<20 {
                let attacker = try RawConnection(port: port, receiveBuffer: 4096)
                try? attacker.send(flood)  // the daemon may close it before all of it is sent
                attackers.append(attacker)
            }
            // Then both listeners still answer
            #expect(try await Harness.send("GET", harness.daemon.callbackBaseURL + "/healthz").status == 200)
            #expect(try await harness.local("GET", "/healthz").status == 200)
            // And each attacker is closed, having had at most the depth's answers
            for attacker in attackers {
                let (text, closed) = await Self.drain(attacker)
                #expect(closed)
                #expect(Self.answers(in: text) <= 16, "\(Self.answers(in: text)) answers")
            }
            let metrics = try await harness.local("GET", "/metrics").text
            #expect(metrics.contains(#"declutterd_connections_dropped_total{reason="pipelined",listener="callbacks"} 20"#))
        }
    }

    @Test("a peer that asks for large answers and reads none of them is closed after http.write_timeout")
    func writeDeadline() async throws {
        try await Harness.with(adjust: {
            $0.connections.writeTimeout = .milliseconds(200)
            $0.connections.pipelineDepth = 100
        }) { harness in
            let port = try #require(URL(string: harness.daemon.localURL)?.port)
            // Given a client with a tiny receive window asking for the OpenAPI document (about 100 KB) 80 times over: more
            // than the kernel's socket buffers hold (4 MB at most here)
            let reader = try RawConnection(port: port, receiveBuffer: 4096)
            try reader.send(String(repeating: "GET /openapi.yaml HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", count: 80))
            // Then, without it reading a byte, the daemon closes it once its output has been full for the write timeout
            try await eventually(timeout: .seconds(30), "the connection closed for its write timeout") {
                harness.daemon.daemon.metrics.exposition()
                    .contains(#"declutterd_connections_dropped_total{reason="write_timeout",listener="local"} 1"#)
            }
            withExtendedLifetime(reader) {}
        }
    }
}
