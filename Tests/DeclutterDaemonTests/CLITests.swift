import Foundation
import TestSupport
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

    @Test("list --since with an age too large to count back is a usage error (64) naming the option, not a crash")
    func sinceOverflow() async throws {
        for age in ["1e12d", "99999999999999999999s", "36501d"] {
            let run = try await CLI.run(["list", "--since", age, "--url", "http://127.0.0.1:1"])
            #expect(run.status == 64, "\(run)")
            #expect(run.stderr.contains("--since"), "\(run)")
        }
    }
}

/// Finds and runs the built executable.
enum CLI {
    typealias Run = ProcessRunner.Run

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

    /// Runs it through the one process runner. `clean` drops the caller's DECLUTTERD_*, systemd and credential
    /// variables and runs in a fresh working directory.
    static func run(clean: Bool = false, _ arguments: [String], environment extra: [String: String] = [:],
                    timeout: Duration = .seconds(30)) async throws -> Run {
        let systemdVariables = ["CREDENTIALS_DIRECTORY", "CONFIGURATION_DIRECTORY", "JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]
        let inherited = ProcessInfo.processInfo.environment.filter { name, _ in
            name != "DECLUTTERD_URL" && !(clean && (name.hasPrefix("DECLUTTERD_") || systemdVariables.contains(name)))
        }
        return try await ProcessRunner.run(try executable(), arguments, environment: inherited.merging(extra) { $1 },
                                           directory: clean ? nil : URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                                           timeout: timeout)
    }
}
