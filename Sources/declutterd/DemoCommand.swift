import ArgumentParser
import Foundation

/// `declutterd demo`: the whole story in one process, no configuration, under a minute.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the sandbox and the daemon together on free loopback ports and watch generations resolve.",
        discussion: """
        Starts the sandbox (dropping about a third of the callbacks, duplicating, delaying and reordering \
        others, failing some generations) and the daemon with a fresh database, submits generations and \
        variations through the local API, shows each resolve (by callback or by poll), and ends with a \
        summary and the sqlite3 command to look inside. On a terminal it then keeps the sandbox and the daemon \
        serving, so the dashboard it prints can be browsed, until Ctrl-C (SIGINT) or SIGTERM; `--exit`, or an \
        output that is not a terminal, ends it after the summary.
        """)

    @Option(help: "Seed for the sandbox's faults and timings.") var seed: UInt64 = 11
    @Option(help: "Generations to submit (variations come on top).") var generations = 8
    @Option(help: "Where to keep the demo's database (default: a new temporary folder).") var directory: String?
    @Flag(name: .customLong("exit"), help: "End after the summary, even on a terminal (which otherwise keeps the dashboard serving).")
    var exitAfterSummary = false

    func validate() throws {
        guard (1...50).contains(generations) else { throw ValidationError("--generations must be between 1 and 50") }
    }

    func run() async throws {
        let folder = directory.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("declutterd-demo-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Serving on after the summary only makes sense for a person watching: a pipe (a test, a script) ends as before.
        let keepServing = !exitAfterSummary && isatty(STDOUT_FILENO) == 1
        let scenario = DemoScenario(seed: seed, generations: generations, databasePath: folder.appendingPathComponent("declutterd.sqlite").path,
                                    keepServing: keepServing)
        try await scenario.run()
    }
}
