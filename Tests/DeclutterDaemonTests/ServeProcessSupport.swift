import DeclutterSandbox
import Foundation
import TestSupport
import Testing
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// systemd's side of sd_notify: a real AF_UNIX datagram socket that records every message.
final class NotifySocket: Sendable {
    let path: String
    private let descriptor: Int32
    private let received = Mutex<[String]>([])
    private let closed = Mutex(false)

    /// A socket file in the temporary directory, or (`abstract`) a name in the abstract namespace, `@…`.
    init(abstract: Bool = false) throws {
        let name = "declutterd-notify-\(UUID().uuidString.prefix(8))"
        path = abstract ? "@" + name : FileManager.default.temporaryDirectory.appendingPathComponent(name + ".sock").path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket() failed") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw HarnessError("bind(\(path)) failed") }
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in readLoop() }
        thread.start()
    }

    /// Every message so far, in arrival order.
    var messages: [String] { received.withLock { $0 } }

    /// Every `KEY=VALUE` line so far, in arrival order.
    var lines: [String] { messages.flatMap { $0.split(separator: "\n").map(String.init) } }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !closed.withLock({ $0 }) {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                let message = String(decoding: buffer[0..<count], as: UTF8.self)
                received.withLock { $0.append(message) }
            }
        }
        Glibc.close(descriptor)
        if !path.hasPrefix("@") { unlink(path) }
    }

    func stop() { closed.withLock { $0 = true } }
}

/// `declutterd serve` as a child process, configured by environment, its stderr collected.
final class ServeProcess: Sendable {
    let process: ChildProcess
    let databasePath: String
    /// Where its standard error goes, read as it grows.
    private let errorFile: URL

    /// Starts `serve` against `sandbox` with the database at `databasePath` (a fresh one by default); ports are
    /// picked by the kernel.
    init(sandbox: RunningSandbox, databasePath: String? = nil, extraEnvironment: [String: String] = [:]) throws {
        if let databasePath {
            self.databasePath = databasePath
        } else {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("declutterd-serve-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            self.databasePath = directory.appendingPathComponent("declutterd.sqlite").path
        }
        let account = sandbox.sandbox.configuration
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "DECLUTTERD_API_KEY": account.apiKey,
            "DECLUTTERD_UPSTREAM_USER_ID": account.userID.uuidString.lowercased(),
            "DECLUTTERD_UPSTREAM_BASE_URL": sandbox.baseURL,
            "DECLUTTERD_DATABASE_PATH": self.databasePath,
            "DECLUTTERD_CALLBACKS_LISTEN": "127.0.0.1:0",
            "DECLUTTERD_LOCAL_LISTEN": "127.0.0.1:0",
            // The sandbox's own callbacks are not used by these tests: the tests send them.
            "DECLUTTERD_CALLBACKS_PUBLIC_BASE_URL": "http://127.0.0.1:9",
            "DECLUTTERD_LOG_LEVEL": "info",
        ]
        environment.merge(extraEnvironment) { $1 }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("declutterd-serve-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        errorFile = scratch.appendingPathComponent("stderr")
        process = try ChildProcess(try CLI.executable(), ["serve"], environment: environment, directory: scratch,
                                   stdout: URL(fileURLWithPath: "/dev/null"), stderr: errorFile)
    }

    var stderr: String { (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" }
    var exitStatus: Int32? { process.exitStatus }

    /// The listeners' URLs, from the "ready" log line.
    func listeners(timeout: Duration = .seconds(60)) async throws -> (callbacks: String, local: String) {
        let found = try await eventually(timeout: timeout) { self.stderr.contains(" ready") || self.exitStatus != nil }
        guard found, let callbacks = value(after: "callbacks="), let local = value(after: "local=") else {
            throw HarnessError("no ready line from serve: \(stderr)")
        }
        return (callbacks, local)
    }

    private func value(after prefix: String) -> String? {
        guard let range = stderr.range(of: prefix) else { return nil }
        return String(stderr[range.upperBound...].prefix { !$0.isWhitespace })
    }

    func signal(_ number: Int32) { process.signal(number) }

    /// Waits for the process to end; nil if it did not within `timeout` (it is then killed).
    func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32? {
        let ended = try await eventually(timeout: timeout) { self.exitStatus != nil }
        if !ended { signal(SIGKILL) }
        return exitStatus
    }
}
