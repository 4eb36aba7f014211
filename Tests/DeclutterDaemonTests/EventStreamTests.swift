import DeclutterAPI
@testable import DeclutterDaemon
@testable import DeclutterStore
import Foundation
import LocalClient
import Synchronization
import TestSupport
import Testing

/// `GET /v1/events` on a real daemon (docs/delivery.md, "The event stream"). Messages are written through the
/// store, as the daemon's own writes make them; the sandbox stays silent.
@Suite("The event stream", .timeLimit(.minutes(3)))
struct EventStreamTests {
    static func with<T>(backend: StoreBackend = .sqlite, clock: DaemonClock = .system, adjust: (inout DaemonConfiguration) -> Void = { _ in },
                        _ body: (Harness) async throws -> T) async throws -> T {
        try await Harness.with(backend: backend, sandbox: E2E.silentSandbox, polling: E2E.callbacksOnly, clock: clock, adjust: adjust, body)
    }

    @Test("a client that leaves and comes back with Last-Event-ID receives exactly what it missed, in order, then what is new", arguments: StoreBackend.available)
    func resume(_ backend: StoreBackend) async throws {
        try await Self.with(backend: backend) { harness in
            // Given a client following from now on, which sees three messages
            _ = try await harness.recordSubmission()
            var first: RawEventStream? = try RawEventStream(harness)
            #expect(await first?.head() == 200)
            #expect(first?.headers["content-type"] == "text/event-stream")
            #expect(first?.headers["cache-control"] == "no-store")
            // It opens by saying where it starts: after the one message committed before it
            #expect(await first?.read { $0.lastEventID != nil } == true)
            #expect(first?.lastEventID == "\(try await harness.messages(after: 0).last?.sequence ?? -1)")
            for _ in 0..<3 { _ = try await harness.recordSubmission() }
            #expect(await first?.read { $0.events.count == 3 } == true, "\(first?.body ?? "")")
            let seen = try #require(first?.ids.last)
            #expect(first?.events.allSatisfy { $0.type == "generation.created" } == true)
            #expect(first?.ids == (try await harness.messages(after: 1)).map(\.sequence), "none before the stream opened")
            // When it leaves, four more are committed, and it comes back with the last id it saw
            first = nil
            try await eventually("the stream given back") { harness.daemon.daemon.eventStreams.openCount == 0 }
            for _ in 0..<4 { _ = try await harness.recordSubmission() }
            let missed = try await harness.messages(after: seen)
            #expect(missed.count == 4)
            let back = try RawEventStream(harness, "/v1/events?after=1", headers: ["Last-Event-ID": "\(seen)"])
            // Then it receives exactly those four, in order, with their bodies, and then what comes next
            #expect(await back.read { $0.events.count == 4 }, "\(back.body)")
            #expect(back.ids == missed.map(\.sequence))
            #expect(back.events.map(\.data) == missed.map(\.body))
            #expect(back.events.map(\.type) == missed.map(\.type.rawValue))
            let row = try await harness.recordSubmission()
            #expect(await back.read { $0.events.count == 5 })
            #expect(back.ids.last == (try await harness.messages(generation: row)).last?.sequence)
            #expect(Set(back.ids).count == back.ids.count, "no message twice")
            // And `?after=` alone starts at the same place
            let after = try RawEventStream(harness, "/v1/events?after=\(seen)")
            #expect(await after.read { $0.events.count == 5 })
            #expect(after.ids == back.ids)
        }
    }

    @Test("?generation_id= follows one generation from its first message and ends after its terminal one; at once when that was sent", arguments: StoreBackend.available)
    func followOneGeneration(_ backend: StoreBackend) async throws {
        try await Self.with(backend: backend) { harness in
            // Given a generation recorded, and a stream following it by its local id
            let row = try await harness.recordSubmission()
            let stream = try RawEventStream(harness, "/v1/events?generation_id=\(row)")
            #expect(await stream.read { $0.events.count == 1 })
            // When another generation changes, and this one is accepted, then SUCCEEDED
            _ = try await harness.recordSubmission()
            let generationID = UUID()
            let answer = SubmissionAnswer(generationID: generationID, projectID: UUID(), remainingPhotos: 50, rawBody: Data("{}".utf8))
            _ = try await harness.database.recordAccepted(answer, forRow: row, at: Date(), firstPollAt: Date().addingTimeInterval(3600))
            let body = Data(#"{"status": "SUCCEEDED", "images": ["https://cdn.example/out.png"]}"#.utf8)
            _ = try await harness.database.apply(StatusReport(source: .callback, receivedAt: Date(), rawBody: body,
                                                              payload: RetrievalPayloadValidator.validate(body),
                                                              rescheduleIfPending: .atLeast(Date())), to: .row(row))
            // Then it received this generation's three messages only, and the response ended
            #expect(await stream.read { $0.ended }, "\(stream.body)")
            #expect(stream.events.map(\.type) == ["generation.created", "generation.updated", "generation.succeeded"])
            // (Its generation.archived, which comes later, is not part of the story the stream follows.)
            #expect(stream.ids == (try await harness.messages(generation: row)).filter { $0.type != .generationArchived }.map(\.sequence))
            // And a stream opened afterwards (by its UUID) replays them and ends; after the last one it ends at once
            let replay = try RawEventStream(harness, "/v1/events?generation_id=\(generationID.uuidString.lowercased())")
            #expect(await replay.read { $0.ended })
            #expect(replay.ids == stream.ids)
            let done = try RawEventStream(harness, "/v1/events?generation_id=\(row)", headers: ["Last-Event-ID": "\(stream.ids.last ?? 0)"])
            #expect(await done.read { $0.ended })
            #expect(done.events.isEmpty)
            try await eventually("every stream given back") { harness.daemon.daemon.eventStreams.openCount == 0 }
        }
    }

    @Test("?types= keeps only those types; a followed generation still ends on its terminal message when that type is filtered out", arguments: StoreBackend.available)
    func typesFilter(_ backend: StoreBackend) async throws {
        try await Self.with(backend: backend) { harness in
            let rows = [try await harness.recordSubmission(), try await harness.recordSubmission()]
            _ = try await harness.database.markLost(row: rows[0], reason: "test", at: Date())
            let lost = try RawEventStream(harness, "/v1/events?after=0&types=generation.lost,quota.low")
            #expect(await lost.read { $0.events.count == 1 })
            _ = try await harness.database.markLost(row: rows[1], reason: "test", at: Date())
            #expect(await lost.read { $0.events.count == 2 })
            #expect(lost.events.map(\.type) == ["generation.lost", "generation.lost"])
            #expect(lost.body.components(separatedBy: "event: ").count == 3, "nothing else was sent: \(lost.body)")

            let created = try RawEventStream(harness, "/v1/events?generation_id=\(rows[0])&types=generation.created")
            #expect(await created.read { $0.ended })
            #expect(created.events.map(\.type) == ["generation.created"])
        }
    }

    @Test("a keep-alive comment goes out each time local.event_stream_keepalive passes on the daemon's clock with nothing sent")
    func keepAlive() async throws {
        let clock = ManualClock()
        try await Self.with(clock: .following(clock, from: Date())) { harness in
            let keepAlive = harness.daemon.daemon.configuration.eventStreams.keepAlive
            let stream = try RawEventStream(harness)
            #expect(await stream.head() == 200)
            try await eventually("the stream waits for the keep-alive") { clock.deadlines.contains(clock.now.offset + keepAlive) }
            #expect(stream.keepAlives == 0)
            clock.advance(by: keepAlive)
            #expect(await stream.read { $0.keepAlives == 1 }, "\(stream.body)")
            // A message restarts the wait: the next keep-alive is due a full period after it
            clock.advance(by: .seconds(5))
            _ = try await harness.recordSubmission()
            #expect(await stream.read { $0.events.count == 1 })
            try await eventually("the wait restarted") { clock.deadlines.contains(clock.now.offset + keepAlive) }
            clock.advance(by: keepAlive)
            #expect(await stream.read { $0.keepAlives == 2 })
            #expect(stream.body.hasSuffix(": keep-alive\n\n"))
        }
    }

    @Test("a client that stops reading is disconnected once a write waits local.event_stream_write_timeout; nothing is buffered for it, and it resumes")
    func stalledClient() async throws {
        let clock = ManualClock()
        // What is tested is the stream's own write timeout, on the daemon's clock. The connection-wide write
        // deadline (http.write_timeout, real time) would close the stalled connection first when committing the 500
        // messages below takes longer than it on a loaded machine.
        try await Self.with(clock: .following(clock, from: Date()), adjust: { $0.connections.writeTimeout = .seconds(3600) }) { harness in
            let daemon = harness.daemon.daemon
            let writeTimeout = daemon.configuration.eventStreams.writeTimeout
            let listeners = daemon.database.commits.listenerCount
            // Given a client with a small receive window that reads the head, then nothing more
            let stalled = try RawEventStream(harness, receiveBuffer: 4096)
            #expect(await stalled.head() == 200)
            // When far more is committed than the socket buffers hold: 500 messages of about 16 KB
            let url = "https://images.example/" + String(repeating: "x", count: 16_000) + ".jpg"
            let start = try await daemon.database.latestMessageSequence()
            for _ in 0..<500 { _ = try await harness.recordSubmission(imageURL: url) }
            let produced = try await harness.messages(after: start)
            let producedBytes = produced.reduce(0) { $0 + $1.body.utf8.count }
            // Then the stream ends up waiting on a write, and holds the connection until the write timeout
            try await eventually("a write waiting on the client") { clock.deadlines.contains(clock.now.offset + writeTimeout) }
            #expect(daemon.localConnections.openCount == 1)
            #expect(daemon.eventStreams.openCount == 1)
            try await eventually("the connection closed at the write timeout") {
                clock.advance(by: writeTimeout)
                return daemon.localConnections.openCount == 0
            }
            // And the stream, its place and its commit subscription are given back
            try await eventually("the stream given back") {
                daemon.eventStreams.openCount == 0 && daemon.database.commits.listenerCount == listeners
            }
            // And the client gets what was in flight, then the close: far less than was committed
            await stalled.drain()
            #expect(stalled.closed)
            #expect(!stalled.ended, "closed, not ended")
            // What reached the client is what the kernel's send buffer (it grows up to tcp_wmem's maximum) and the
            // daemon's one chunk held when the write stalled, not the 8 MB committed.
            let bound = Self.sendBufferMaximum + 1 << 20
            #expect(stalled.received < bound && bound < producedBytes, "received \(stalled.received) of \(producedBytes)")
            let complete = stalled.ids
            #expect(complete == Array(produced.prefix(complete.count)).map(\.sequence), "a prefix, in order")
            // And coming back with the last id it saw, it receives the rest, exactly
            let back = try RawEventStream(harness, headers: ["Last-Event-ID": "\(complete.last ?? start)"])
            #expect(await back.read(timeout: .seconds(60)) { $0.events.count == produced.count - complete.count })
            #expect(complete + back.ids == produced.map(\.sequence))
            let metrics = try await harness.local("GET", "/metrics").text
            #expect(metrics.contains(#"declutterd_event_streams_dropped_total{reason="slow_client"} 1"#), "\(metrics)")
        }
    }

    /// The largest send buffer the kernel grows a TCP socket's to (4 MiB unless tuned).
    static var sendBufferMaximum: Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/tcp_wmem", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isWhitespace).last.flatMap { Int($0) } ?? 4 << 20
    }

    @Test("beyond local.max_event_streams a stream is refused with 503 too_many_streams and Retry-After; a place given back is taken again")
    func streamCap() async throws {
        try await Self.with(adjust: { $0.eventStreams.maxStreams = 2 }) { harness in
            let streams = harness.daemon.daemon.eventStreams
            var first: RawEventStream? = try RawEventStream(harness)
            let second = try RawEventStream(harness)
            #expect(await first?.head() == 200)
            #expect(await second.head() == 200)
            let refused = try await harness.local("GET", "/v1/events")
            #expect(refused.status == 503)
            #expect(E2E.errorCode(refused) == "too_many_streams")
            #expect(refused.header("Retry-After") == "\(LocalAPIController.streamRetryAfter)")
            OpenAPITests.expectDocumented("GET /v1/events", refused)
            // A refused request, a HEAD and a bad request take no place
            #expect(try await harness.local("HEAD", "/v1/events").status == 200)
            #expect(try await harness.local("GET", "/v1/events?after=x").status == 400)
            #expect(streams.openCount == 2)
            // When one client leaves, its place is given back
            first = nil
            try await eventually("the place given back") { streams.openCount == 1 }
            let third = try RawEventStream(harness)
            #expect(await third.head() == 200)
            #expect(streams.openCount == 2)
            let metrics = try await harness.local("GET", "/metrics").text
            #expect(metrics.contains(#"declutterd_event_streams_dropped_total{reason="over_capacity"} 1"#), "\(metrics)")
            #expect(metrics.contains("declutterd_event_streams_open 2"), "\(metrics)")
        }
    }

    @Test("a stop ends every stream at once, without waiting for a timer")
    func stopEndsStreams() async throws {
        let clock = ManualClock()
        let harness = try await Harness.start(sandbox: E2E.silentSandbox, polling: E2E.callbacksOnly, clock: .following(clock, from: Date()))
        let streams = [try RawEventStream(harness), try RawEventStream(harness, "/v1/events?after=0")]
        for stream in streams { #expect(await stream.head() == 200) }
        try await eventually("both streams open") { harness.daemon.daemon.eventStreams.openCount == 2 }
        await harness.stopDaemon()
        for stream in streams {
            #expect(await stream.read { $0.ended || $0.closed })
            #expect(stream.ended, "the response ends cleanly: \(stream.body)")
        }
        #expect(clock.now.offset == .zero, "no timer moved")
        await harness.stop()
    }

    @Test("a Last-Event-ID or ?after= past the newest message is a 400 that names the newest, never a silent stream", arguments: StoreBackend.available)
    func positionPastTheNewest(_ backend: StoreBackend) async throws {
        try await Self.with(backend: backend) { harness in
            _ = try await harness.submitted()  // generation.created: message 1
            for (headers, query, code) in [(["Last-Event-ID": "99999999999999999999999"], "", "invalid_last_event_id"),
                                           ([:], "?after=500", "invalid_after")] {
                let reply = try await harness.local("GET", "/v1/events\(query)", headers: headers)
                #expect(reply.status == 400 && E2E.errorCode(reply) == code, "\(reply.text)")
                #expect(E2E.errorMessage(reply)?.contains("past the newest message, ") == true, "\(reply.text)")
            }
            #expect(harness.daemon.daemon.eventStreams.openCount == 0)
        }
    }

    @Test("the cross-site guard refuses a foreign page before the stream opens")
    func crossSite() async throws {
        try await Self.with { harness in
            for headers in [["Origin": "http://evil.example"], ["Sec-Fetch-Site": "cross-site"]] {
                let reply = try await harness.local("GET", "/v1/events", headers: headers)
                #expect(reply.status == 403 && E2E.errorCode(reply) == "cross_origin_refused", "\(headers): \(reply.text)")
            }
            #expect(harness.daemon.daemon.eventStreams.openCount == 0)
        }
    }
}

@Suite("Server-Sent Events parsing")
struct EventStreamParserTests {
    @Test("fields, comments, line endings and events split anywhere")
    func parsing() {
        let text = ": keep-alive\n\nid: 7\nevent: generation.created\ndata: {\"a\":1}\n\nid: 8\r\nevent: quota.low\r\ndata: x\r\ndata: y\r\n\r\n"
            + "data:no space\rid:9\r\r"
        let bytes = Array(text.utf8)
        for split in [1, 3, 7, bytes.count] {
            var parser = EventStreamParser()
            var events: [LocalStreamEvent] = []
            var index = 0
            while index < bytes.count {
                events += parser.feed(bytes[index..<min(index + split, bytes.count)])
                index += split
            }
            #expect(events == [
                LocalStreamEvent(id: "7", type: "generation.created", data: #"{"a":1}"#),
                LocalStreamEvent(id: "8", type: "quota.low", data: "x\ny"),
                LocalStreamEvent(id: "9", type: "message", data: "no space"),
            ], "split every \(split)")
        }
    }

    @Test("an event is id, event and one data line per line of the body")
    func formatting() {
        let message = MessageRecord(id: 12, type: .generationSucceeded, generation: 3, version: 4, createdAt: Date(), body: #"{"type":"generation.succeeded"}"#)
        #expect(EventStream.event(message) == "id: 12\nevent: generation.succeeded\ndata: {\"type\":\"generation.succeeded\"}\n\n")
        var parser = EventStreamParser()
        #expect(parser.feed(Array(EventStream.event(message).utf8)) == [LocalStreamEvent(id: "12", type: "generation.succeeded", data: message.body)])
        // The opening `id:` block is no event, but it is where a client resumes from.
        var opening = EventStreamParser()
        #expect(opening.feed(Array("id: 41\n\n: keep-alive\n\n".utf8)).isEmpty)
        #expect(opening.lastEventID == "41")
    }
}

@Suite("declutterd watch", .timeLimit(.minutes(1)))
struct WatchCommandTests {
    @Test("watch ID prints the generation's messages as they come and exits 0 once it has ended; --json prints the bodies")
    func watchOneGeneration() async throws {
        try await EventStreamTests.with { harness in
            let url = harness.daemon.localURL
            let row = try await harness.recordSubmission()
            // Given `watch ID` following a pending generation
            let watching = Task { try await CLI.run(["watch", "\(row)", "--url", url]) }
            try await eventually("the watch connected") { harness.daemon.daemon.eventStreams.openCount == 1 }
            // When it ends
            _ = try await harness.database.markLost(row: row, reason: "test", at: Date())
            // Then the command printed one line per message and exited 0
            let run = try await watching.value
            #expect(run.status == 0, "\(run)")
            let lines = run.stdout.split(separator: "\n").map(String.init)
            let sequences = try await harness.messages(generation: row).map(\.sequence)
            #expect(lines.count == 2, "\(run)")
            #expect(lines.first?.contains("generation.created") == true && lines.first?.contains("SUBMITTING") == true, "\(run)")
            #expect(lines.last?.contains("generation.lost") == true && lines.last?.contains("LOST") == true, "\(run)")
            #expect(lines.map { $0.split(separator: " ").first.map(String.init) } == sequences.map(String.init), "\(run)")

            // And an ended generation is replayed: --json prints each body as it is, --types filters
            let json = try await CLI.run(["watch", "\(row)", "--json", "--types", "generation.lost", "--url", url])
            #expect(json.status == 0, "\(json)")
            let body = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            #expect(body?["type"] as? String == "generation.lost", "\(json)")
            #expect(json.stdout == (try await harness.messages(generation: row)).last.map { $0.body + "\n" })

            let missing = try await CLI.run(["watch", "999999", "--url", url])
            #expect(missing.status == 66, "\(missing)")
            let usage = try await CLI.run(["watch", "--types", "nope", "--url", url])
            #expect(usage.status == 64, "\(usage)")
        }
    }
}

@Suite("The event stream client", .timeLimit(.minutes(1)))
struct EventStreamClientTests {
    @Test("watchEvents comes back after the daemon restarts, with Last-Event-ID: nothing missed, nothing twice")
    func reconnects() async throws {
        try await EventStreamTests.with { harness in
            let port = try #require(URL(string: harness.daemon.localURL)?.port)
            let seen = Mutex<[String]>([])
            let reconnections = Mutex(0)
            let quick = StreamReconnect(initialDelay: .milliseconds(20), maxDelay: .milliseconds(200), attempts: 200)
            let watching = Task {
                try await LocalAPIClient.with(try LocalEndpoint(harness.daemon.localURL)) { client in
                    try await client.watchEvents(EventStreamRequest(after: 0), reconnect: quick,
                                                 onReconnect: { _, _ in reconnections.withLock { $0 += 1 } }) { event in
                        seen.withLock { $0.append(event.id ?? "-") }
                    }
                }
            }
            // Given a client that has seen the first message
            _ = try await harness.recordSubmission()
            try await eventually("the first message") { seen.withLock { $0 } == ["1"] }
            // When the daemon stops, and another starts on the same database and port, which commits a second
            await harness.stopDaemon()
            var configuration = harness.daemon.daemon.configuration
            configuration.localListen = ListenAddress(host: "127.0.0.1", port: port)
            configuration.callbacksListen = ListenAddress(host: "127.0.0.1", port: 0)
            let restarted = try await Daemon(configuration: configuration, logger: Harness.quietLogger()).start()
            _ = try await restarted.daemon.database.beginSubmission(SubmissionRequest(kind: .generation, imageURL: "https://images.example/b.jpg", auto: true), at: Date())
            // Then the client reconnected and received the second message only
            try await eventually("the second message") { seen.withLock { $0.count } >= 2 }
            // (On a loaded machine the restarted daemon may give up on the first generation meanwhile: a third message.)
            let received = seen.withLock { $0 }
            #expect(Array(received.prefix(2)) == ["1", "2"] && Set(received).count == received.count, "\(received)")
            #expect(reconnections.withLock { $0 } >= 1)
            watching.cancel()
            _ = await watching.result
            await restarted.stop()
        }
    }
}
