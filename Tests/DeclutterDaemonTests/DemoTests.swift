import Foundation
import TestSupport
import Testing

@Suite("declutterd demo")
struct DemoTests {
    @Test("the demo resolves every generation and delivers every message to its app, each signature valid")
    func demoDeliversEveryMessage() async throws {
        let directory = try TemporaryDirectory(prefix: "declutterd-demo-test")
        defer { directory.remove() }
        let run = try await CLI.run(["demo", "--generations", "3", "--directory", directory.path])
        #expect(run.status == 0, "\(run)")
        let webhooks = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("webhooks: ") }, "\(run.stdout)")
        // `webhooks: 14 messages delivered to the app in 14 requests (0 still pending), 14 of 14 signatures valid; ...`
        let numbers = webhooks.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(numbers.count >= 5, "\(webhooks)")
        let (messages, requests, pending, valid, signed) = (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4])
        #expect(messages >= 3 * 3, "created, updated and a final message at least, for each generation: \(webhooks)")
        #expect(pending == 0, "\(webhooks)")
        #expect(valid == signed && signed == requests, "\(webhooks)")
        let committed = try await withDatabase(at: directory.file("declutterd.sqlite")) { database in
            try await database.latestMessageSequence()
        }
        #expect(Int64(messages) == committed, "every committed message reached the app")
        // `archive: 4 result images kept (0.0 MB), 0 failed, 0 pending, in /…/images`
        let archive = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("archive: ") }, "\(run.stdout)")
        let counts = archive.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(counts.first.map { $0 >= 2 } == true && archive.contains(" 0 failed, 0 pending, in \(directory.path)/images"), "\(archive)")
        #expect(run.stdout.contains("image_overview"))
        // The dashboard's address is printed; with a pipe for stdout the demo ends after its summary (no serving on).
        #expect(run.stdout.split(separator: "\n").contains { $0.hasPrefix("dashboard http://127.0.0.1:") && $0.hasSuffix("/") }, "\(run.stdout)")
        #expect(!run.stdout.contains("serving on"))
    }
}
