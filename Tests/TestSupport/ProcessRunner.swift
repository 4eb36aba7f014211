import Foundation

/// One way to run a program in the tests: output to files (no pipe to fill up), killed after a timeout.
public enum ProcessRunner {
    public struct Run: Sendable, CustomStringConvertible {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        public var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    /// Runs `executable` with `arguments` and exactly `environment`, in `directory` (a fresh one by default),
    /// with standard input empty; killed after `timeout`.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String],
                           directory: URL? = nil, timeout: Duration = .seconds(30)) async throws -> Run {
        let scratch = try TemporaryDirectory(prefix: "declutterd-run")
        defer { scratch.remove() }
        let out = scratch.url.appendingPathComponent("stdout"), err = scratch.url.appendingPathComponent("stderr")
        guard FileManager.default.createFile(atPath: out.path, contents: nil), FileManager.default.createFile(atPath: err.path, contents: nil) else {
            throw TestSupportError("cannot create output files in \(scratch.path)")
        }
        let process = try ChildProcess(executable, arguments, environment: environment, directory: directory ?? scratch.url,
                                       stdout: out, stderr: err)
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            process.signal(SIGTERM)
        }
        let status = await process.waitForExit()
        watchdog.cancel()
        return Run(status: status,
                   stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                   stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    /// The first executable called `name` on `PATH`, if any.
    public static func onPath(_ name: String) -> URL? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
