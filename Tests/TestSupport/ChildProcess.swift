import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, for tests. Not Foundation's `Process`: on Linux its `run()` can
/// read past a buffer while it lists `/proc/self/fd`, and crash the test process now and then (more often the
/// more descriptors are open: swift-corelibs-foundation#5472).
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let status = ExitStatus()
    private let exited: AsyncStream<Void>

    /// Starts `executable` with `arguments` and exactly `environment`, in `directory`, standard input empty,
    /// standard output and error into the files at `stdout` and `stderr` (created or truncated). Every other
    /// descriptor is closed in the child.
    public init(_ executable: URL, _ arguments: [String], environment: [String: String], directory: URL,
                stdout: URL, stderr: URL) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard GNUSpawnActions.closeFrom(&actions, 3) == 0, GNUSpawnActions.changeDirectory(&actions, directory.path) == 0 else {
            throw TestSupportError("posix_spawn file actions refused")
        }
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable.path, &actions, nil, argv, envp)
        guard result == 0 else { throw TestSupportError("posix_spawn \(executable.path) failed: errno \(result)") }
        pid = child
        let spawned = child
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        exited = stream
        // waitpid blocks: on a thread of its own, never on the concurrency pool.
        let thread = Thread { [status] in
            var raw: Int32 = 0
            while waitpid(spawned, &raw, 0) == -1 && errno == EINTR {}
            // The exit code, or 128 + the signal that ended it, as a shell reports it.
            let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            status.value.withLock { $0 = code }
            continuation.finish()
        }
        thread.start()
    }

    /// The exit code (128 + the signal when a signal ended it); nil while it runs.
    public var exitStatus: Int32? { status.value.withLock { $0 } }

    public func signal(_ number: Int32) { kill(pid, number) }

    /// Waits until the process has ended; returns its exit status.
    @discardableResult
    public func waitForExit() async -> Int32 {
        for await _ in exited {}
        return exitStatus ?? -1
    }
}

private final class ExitStatus: Sendable {
    let value = Mutex<Int32?>(nil)
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` and `_addchdir_np` (2.34 and 2.29), which its headers only
/// declare under `_GNU_SOURCE`: looked up once by name.
private enum GNUSpawnActions {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static let closeFrom: CloseFrom = unsafeBitCast(symbol("posix_spawn_file_actions_addclosefrom_np"), to: CloseFrom.self)
    static let changeDirectory: ChangeDirectory = unsafeBitCast(symbol("posix_spawn_file_actions_addchdir_np"), to: ChangeDirectory.self)

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { fatalError("glibc has no \(name)") }
        return address
    }
}
