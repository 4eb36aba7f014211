import DeclutterDaemon
import Foundation
import TestSupport
import Testing

/// `systemd/declutterd.service` (docs/operations.md): its key settings, and what `systemd-analyze` says of it.
/// `.ci/run` runs the same two `systemd-analyze` checks.
@Suite("systemd unit")
struct SystemdUnitTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let unitPath = packageRoot.appendingPathComponent("systemd/declutterd.service").path
    static let installedExecStart = "/usr/local/bin/declutterd serve"

    @Test("the unit declares notify, watchdog, a dynamic user, its directories, the credential and the key hardening")
    func keySettings() throws {
        let unit = try SystemdUnitFile(contentsOf: Self.unitPath)
        let service = "Service"
        #expect(unit.last(service, "Type") == "notify")
        #expect(unit.last(service, "NotifyAccess") == "main")
        #expect(unit.last(service, "WatchdogSec") == "30")
        #expect(unit.last(service, "Restart") == "on-failure")
        #expect(unit.last(service, "TimeoutStopSec") == "30")
        #expect(unit.last(service, "ExecStart") == Self.installedExecStart)
        #expect(unit.last(service, "DynamicUser") == "yes")
        #expect(unit.last(service, "StateDirectory") == "declutterd")
        #expect(unit.last(service, "RuntimeDirectory") == "declutterd")
        #expect(unit.last(service, "ConfigurationDirectory") == "declutterd")
        #expect(unit.last(service, "LoadCredential") == "api_key:/etc/declutterd/api_key")
        #expect(unit.last(service, "MemoryDenyWriteExecute") == "yes")
        #expect(unit.last(service, "ProtectSystem") == "strict")
        // Every assignment empty: no capability at all (a later non-empty one would add some back).
        let capabilities = unit.values(service, "CapabilityBoundingSet")
        let noCapabilities = !capabilities.isEmpty && capabilities.allSatisfy { $0.isEmpty }
        #expect(noCapabilities, "CapabilityBoundingSet: \(capabilities)")
        let ambient = unit.values(service, "AmbientCapabilities")
        let noAmbient = ambient.allSatisfy { $0.isEmpty }
        #expect(noAmbient, "AmbientCapabilities: \(ambient)")

        // The database and socket land in the state and runtime directories, under the daemon's own names.
        let environment = unit.environment(service)
        let databasePath = try #require(Setting.named("database.path")?.environmentName)
        let localSocket = try #require(Setting.named("local.socket")?.environmentName)
        let apiKeyFile = try #require(Setting.named("upstream.api_key_file")?.environmentName)
        #expect(environment[databasePath] == "%S/declutterd/declutterd.sqlite")
        #expect(environment[localSocket] == "%t/declutterd/api.sock")
        for name in environment.keys where name.hasPrefix("DECLUTTERD_") {
            #expect(Setting.all.contains { $0.environmentName == name }, "unknown setting \(name)")
        }
        // The API key comes from the credential, never from the unit.
        #expect(environment["DECLUTTERD_API_KEY"] == nil)
        #expect(environment[apiKeyFile] == nil)
    }

    @Test("the exposure score is read from systemd-analyze's summary line")
    func exposureParsing() {
        #expect(SystemdAnalyzeTool.exposure(in: "  NAME  DESCRIPTION\n→ Overall exposure level for declutterd.service: 1.1 OK 🙂\n") == 1.1)
        #expect(SystemdAnalyzeTool.exposure(in: "Overall exposure level for x.service: 9.6 UNSAFE 😨") == 9.6)
        #expect(SystemdAnalyzeTool.exposure(in: "no summary here") == nil)
    }

    /// `verify` insists that ExecStart's binary exists, and `/usr/local/bin/declutterd` only does once
    /// installed: it checks a temporary copy whose ExecStart names the built `declutterd` (else `true`),
    /// the only line that differs. `security --offline=yes` rates the unit file as shipped.
    @Test("systemd-analyze verify passes and security rates the unit 1.5 or lower")
    func systemdAnalyzeAccepts() async throws {
        guard let analyze = SystemdAnalyzeTool.path else {
            let reason = "systemd-analyze is not on PATH: verify and security checks of \(Self.unitPath) skipped"
            print("SystemdUnitTests: \(reason)")
            try Test.cancel(Comment(rawValue: reason))
        }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("declutterd-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let standIn = try #require(SystemdAnalyzeTool.standInExecutable(), "neither the built declutterd nor `true` was found")
        let original = try String(contentsOfFile: Self.unitPath, encoding: .utf8)
        let lines = original.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.filter { $0 == "ExecStart=\(Self.installedExecStart)" }.count == 1)
        let copy = lines.map { $0 == "ExecStart=\(Self.installedExecStart)" ? "ExecStart=\(standIn) serve" : String($0) }
            .joined(separator: "\n")
        let copyPath = directory.appendingPathComponent("declutterd.service").path
        try copy.write(toFile: copyPath, atomically: true, encoding: .utf8)

        // verify exits 0 on lines it ignores ("Unknown key", "Failed to parse ..."): any output is a failure too.
        let verify = try await SystemdAnalyzeTool.run(analyze, ["verify", "--man=no", copyPath])
        print("SystemdUnitTests: verify (ExecStart stand-in \(standIn)) exit \(verify.status)\(verify.output.isEmpty ? ", no output" : ":\n" + verify.output)")
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.isEmpty, "\(verify.output)")

        let security = try await SystemdAnalyzeTool.run(analyze, ["security", "--offline=yes", "--no-pager", Self.unitPath])
        let line = security.output.split(separator: "\n").first { $0.contains("Overall exposure level") } ?? "no summary line"
        print("SystemdUnitTests: security: \(line)")
        #expect(security.status == 0, "\(security.output)")
        let score = try #require(SystemdAnalyzeTool.exposure(in: security.output), "no exposure score in:\n\(security.output)")
        #expect(score <= 1.5, "exposure \(score) is above 1.5:\n\(security.output)")
    }
}

/// A systemd unit file, as far as these tests need: sections, `Key=value` assignments in order,
/// `#`/`;` comments, backslash continuations.
struct SystemdUnitFile {
    private var assignments: [(section: String, key: String, value: String)] = []

    init(contentsOf path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var section = ""
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty, line.hasPrefix("#") || line.hasPrefix(";") || line.isEmpty { continue }
            if line.hasSuffix("\\") {
                line.removeLast()
                pending += line + " "
                continue
            }
            line = pending + line
            pending = ""
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast())
            } else if let equals = line.firstIndex(of: "=") {
                assignments.append((section, line[..<equals].trimmingCharacters(in: .whitespaces),
                                    line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)))
            }
        }
    }

    func values(_ section: String, _ key: String) -> [String] {
        assignments.filter { $0.section == section && $0.key == key }.map(\.value)
    }

    func last(_ section: String, _ key: String) -> String? { values(section, key).last }

    /// `Environment=` lines merged, later assignments winning (no quoting in this unit).
    func environment(_ section: String) -> [String: String] {
        var result: [String: String] = [:]
        for value in values(section, "Environment") {
            for word in value.split(separator: " ") {
                guard let equals = word.firstIndex(of: "=") else { continue }
                result[String(word[..<equals])] = String(word[word.index(after: equals)...])
            }
        }
        return result
    }
}

enum SystemdAnalyzeTool {
    static let path: String? = executable(named: "systemd-analyze")

    static func executable(named name: String) -> String? {
        ProcessRunner.onPath(name)?.path
    }

    /// The built `declutterd` (next to the test bundle, as `swift build --build-tests` leaves it), else `true`.
    static func standInExecutable() -> String? {
        var directories = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        directories += Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }.map { $0.deletingLastPathComponent() }
        if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
        let built = directories.map { $0.appendingPathComponent("declutterd").standardizedFileURL.path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        return built ?? executable(named: "true")
    }

    /// The number after `Overall exposure level for UNIT:`.
    static func exposure(in output: String) -> Double? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("Overall exposure level for ") }),
              let marker = line.range(of: "Overall exposure level for "),
              let colon = line[marker.upperBound...].range(of: ": ")
        else { return nil }
        return line[colon.upperBound...].split(separator: " ").first.flatMap { Double($0) }
    }

    /// Runs `systemd-analyze` (stdout and stderr together), killed after a minute.
    static func run(_ analyze: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["SYSTEMD_LOG_LEVEL"] = "notice"
        environment["SYSTEMD_PAGER"] = "cat"
        environment["SYSTEMD_COLORS"] = "0"
        let run = try await ProcessRunner.run(URL(fileURLWithPath: analyze), arguments, environment: environment, timeout: .seconds(60))
        return (run.status, (run.stdout + run.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
