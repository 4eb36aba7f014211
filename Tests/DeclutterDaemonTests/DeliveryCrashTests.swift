import DeclutterSandbox
import DeclutterStore
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Delivery survives kill -9", .serialized)
struct DeliveryCrashTests {
    @Test("kill -9 after callbacks were acknowledged and before their messages were delivered: after a restart every message reaches the receiver")
    func killNineThenEveryMessageArrives() async throws {
        let sandbox = try await Sandbox(configuration: E2E.silentSandbox).start()  // it sends nothing itself: the test does
        // Given a receiver that takes requests but answers none, registered before the daemon starts
        let receiver = await WebhookReceiver.start(holding: true)
        let directory = try TemporaryDirectory(prefix: "declutterd-crash")
        defer { directory.remove() }
        let databasePath = directory.file("declutterd.sqlite")
        try await withDatabase(at: databasePath) { database in
            _ = try await database.createEndpoint(EndpointRecord(url: receiver.url(), description: "crash test", types: nil,
                                                                 secret: "whsec_" + Data(repeating: 7, count: 32).base64EncodedString(),
                                                                 createdAt: Date()))
        }
        let first = try ServeProcess(sandbox: sandbox, databasePath: databasePath)
        let (callbacks, local) = try await first.listeners()

        // When 12 generations are submitted and each one's SUCCEEDED callback is acknowledged
        var acknowledged = 0
        for index in 0..<12 {
            let reply = try await Harness.send("POST", local + "/v1/generations",
                                               body: Data(#"{"image_url": "https://images.example/\#(index).jpg", "auto": true}"#.utf8))
            #expect(reply.status == 202)
        }
        for url in await sandbox.sandbox.webhooks().values {
            let token = String(url.split(separator: "/").last ?? "")
            let body = Data(#"{"status": "SUCCEEDED", "images": ["https://cdn.example/\#(token.prefix(6)).png"]}"#.utf8)
            if (200..<300).contains(try await Harness.send("POST", callbacks + "/callbacks/" + token, body: body).status) { acknowledged += 1 }
        }
        #expect(acknowledged == 12)
        // and the daemon is killed with attempts in flight, none answered
        try await eventually("attempts in flight at the receiver") { !receiver.received.isEmpty }
        let beforeKill = receiver.received.count
        first.signal(SIGKILL)
        _ = try await first.waitForExit()

        // Then, restarted on the same database with the receiver answering, every message is delivered
        receiver.release()
        let messages = try await withDatabase(at: databasePath) { database in
            try await database.messages(matching: MessageFilter(limit: 1000))
        }
        let succeeded = messages.filter { $0.type == .generationSucceeded }
        #expect(succeeded.count == 12, "each acknowledged SUCCEEDED callback has its message")
        let second = try ServeProcess(sandbox: sandbox, databasePath: databasePath)
        _ = try await second.listeners()
        let expected = Set(messages.map(\.webhookID))
        let arrived = try await eventually(timeout: .seconds(60), "every message at the receiver") { expected.isSubset(of: receiver.webhookIDs) }
        #expect(arrived, "missing: \(expected.subtracting(receiver.webhookIDs).sorted())")
        try await withDatabase(at: databasePath) { database in
            let pending = try await database.deliveries(matching: DeliveryFilter(status: .pending))
            #expect(try await eventually("the deliveries recorded as delivered") {
                try await database.deliveries(matching: DeliveryFilter(status: .delivered)).count == expected.count
            }, "\(pending.count) still pending")
        }
        print("kill -9 with deliveries in flight: \(messages.count) messages committed (\(succeeded.count) succeeded), "
              + "\(beforeKill) requests reached the receiver before the kill, \(receiver.received.count) in all, "
              + "\(receiver.webhookIDs.count) distinct messages received, \(expected.subtracting(receiver.webhookIDs).count) lost")
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
        await receiver.stop()
        await sandbox.stop()
    }
}

extension WebhookReceiver {
    /// The distinct `webhook-id`s received.
    var webhookIDs: Set<String> { Set(received.compactMap { $0.headers["webhook-id"] }) }
}
