import Foundation
import Testing

/// The built `declutterd` executable run as a subprocess against a real daemon.
@Suite("declutterd client commands", .timeLimit(.minutes(1)))
struct CLITests {
    @Test("submit --auto --wait --json exits 0 and prints the settled record")
    func submitAndWait() async throws {
        try await Harness.with { harness in
            let run = try await CLI.run(["submit", "https://images.example/room.jpg", "--auto", "--wait", "--json", "--url", harness.daemon.localURL])
            #expect(run.status == 0, "\(run)")
            let record = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run)")
            #expect(record["status"] as? String == "SUCCEEDED")
            #expect(run.stderr.contains("SUCCEEDED"), "the progress goes to stderr under --json: \(run)")
        }
    }

    @Test("show, list and stats print tables; an unknown id exits 66")
    func readCommands() async throws {
        try await Harness.with { harness in
            let url = harness.daemon.localURL
            let missing = try await CLI.run(["show", "999999", "--url", url])
            #expect(missing.status == 66, "\(missing)")
            #expect(missing.stderr == "declutterd: no such generation (not_found)\n")

            let empty = try await CLI.run(["list", "--url", url])
            #expect(empty.status == 0, "\(empty)")
            #expect(empty.stdout.hasPrefix("ID  GENERATION  STATUS"), "\(empty)")

            _ = try await harness.waitTerminal(try await harness.submit()["id"]!)
            let list = try await CLI.run(["list", "--status", "succeeded", "--url", url])
            #expect(list.status == 0, "\(list)")
            #expect(list.stdout.split(separator: "\n").count == 2, "\(list)")
            #expect(list.stdout.contains("SUCCEEDED"))

            let stats = try await CLI.run(["stats", "--url", url])
            #expect(stats.status == 0, "\(stats)")
            #expect(stats.stdout.contains("resolved by callback"), "\(stats)")
            print("declutterd list:\n\(list.stdout)declutterd stats:\n\(stats.stdout)")
        }
    }

    @Test("a daemon that is not there exits 69; a usage error exits 64")
    func unreachableAndUsage() async throws {
        let unreachable = try await CLI.run(["stats", "--url", "http://127.0.0.1:1"])
        #expect(unreachable.status == 69, "\(unreachable)")
        #expect(unreachable.stderr.hasPrefix("declutterd: cannot reach the daemon at http://127.0.0.1:1"), "\(unreachable)")

        let usage = try await CLI.run(["submit", "https://images.example/room.jpg", "--url", "http://127.0.0.1:1"])
        #expect(usage.status == 64, "\(usage)")
    }
}

/// Finds and runs the built executable.
enum CLI {
    struct Run: CustomStringConvertible {
        let status: Int32
        let stdout: String
        let stderr: String
        var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    /// `declutterd` sits next to the test bundle (`swift build --build-tests` builds both into .build/debug).
    static func executable() throws -> URL {
        var directories = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        directories += Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }.map { $0.deletingLastPathComponent() }
        if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
        let candidates = directories.map { $0.appendingPathComponent("declutterd") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw HarnessError("the declutterd executable was not found next to the test bundle (looked at \(candidates.map(\.path))); "
                + "build it with `swift build --build-tests`")
        }
        return found
    }

    /// Runs it with output to files (no pipe to fill up), killed after `timeout`. `clean` drops the caller's
    /// DECLUTTERD_*, systemd and credential variables and runs in a fresh working directory.
    static func run(_ arguments: [String], environment extra: [String: String] = [:], clean: Bool = false,
                    timeout: Duration = .seconds(30)) async throws -> Run {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("declutterd-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("stdout"), err = directory.appendingPathComponent("stderr")
        guard FileManager.default.createFile(atPath: out.path, contents: nil), FileManager.default.createFile(atPath: err.path, contents: nil) else {
            throw HarnessError("cannot create output files in \(directory.path)")
        }

        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        let systemdVariables = ["CREDENTIALS_DIRECTORY", "CONFIGURATION_DIRECTORY", "JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]
        let inherited = ProcessInfo.processInfo.environment.filter { name, _ in
            name != "DECLUTTERD_URL" && !(clean && (name.hasPrefix("DECLUTTERD_") || systemdVariables.contains(name)))
        }
        process.environment = inherited.merging(extra) { $1 }
        if clean { process.currentDirectoryURL = directory }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)

        let exited = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in exited.continuation.finish() }
        try process.run()
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            process.terminate()
        }
        for await _ in exited.stream {}
        watchdog.cancel()
        return Run(status: process.terminationStatus,
                   stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                   stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }
}
