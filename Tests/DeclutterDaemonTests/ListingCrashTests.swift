import DeclutterSandbox
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Listings survive kill -9", .serialized)
struct ListingCrashTests {
    @Test("kill -9 while a listing's photo is at the service: after the restart no photo was launched twice, every one launched or reported")
    func killNineMidLaunch() async throws {
        // A service that holds every generate call at a gate, and then keeps its generations PROCESSING, silent.
        let gate = SandboxGate()
        var configuration = E2E.silentSandbox
        configuration.faults.timeout = 1
        configuration.faults.hangGate = gate
        configuration.faults.faultyEndpoints = [.generate]
        let sandbox = try await Sandbox(configuration: configuration).start()
        let directory = try TemporaryDirectory(prefix: "declutterd-listing-crash")
        defer { directory.remove() }
        let databasePath = directory.file("declutterd.sqlite")
        let first = try ServeProcess(sandbox: sandbox, databasePath: databasePath)
        let (_, local) = try await first.listeners()

        // Given a listing of four photos whose first launch is at the service, unanswered
        let listing = ListingTests.urlListing("L-crash", photos: 4)
        #expect(try await Harness.send("POST", local + "/v1/listings", body: Data(listing.utf8)).status == 202)
        #expect(try await eventually("the first launch held at the service") { gate.waiting == 1 })

        // When the daemon is killed, and the service then answers the call nobody waits for any more
        first.signal(SIGKILL)
        _ = try await first.waitForExit()
        gate.release()

        // Then the restarted daemon launches the three others; the first stays a submission whose outcome is unknown
        let second = try ServeProcess(sandbox: sandbox, databasePath: databasePath)
        let (_, restarted) = try await second.listeners()
        var photos: [[String: Any]] = []
        let launched = try await eventually(timeout: .seconds(60), "every photo launched or reported") {
            photos = try await Harness.send("GET", restarted + "/v1/listings/L-crash").json["photos"] as? [[String: Any]] ?? []
            return photos.count == 4 && photos.allSatisfy { $0["generation"] is NSNumber && $0["status"] as? String != "SUBMITTING" || $0["name"] as? String == "room-0.jpg" }
        }
        #expect(launched, "\(photos)")
        #expect(photos.first?["status"] as? String == "SUBMITTING", "the interrupted launch is reported, not launched again: \(photos)")
        #expect(photos.dropFirst().allSatisfy { ($0["generation_id"] as? String) != nil }, "the other three were accepted: \(photos)")
        let urls = await sandbox.sandbox.counters().generateImageURLs
        #expect(Set(urls).count == urls.count, "no photo was sent to the service twice: \(urls)")
        #expect(Set(urls).isSuperset(of: (1..<4).map { "https://images.example/L-crash/room-\($0).jpg" }))
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
        await sandbox.stop()
    }
}
