import ArgumentParser
import DeclutterDaemon
import DeclutterStore
import Foundation
import LocalClient

/// `declutterd list`: generations, newest first.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List generations, newest first.",
        discussion: "When more remain, the command to see the next page is printed on stderr.\n\n" + ClientExitCode.help)

    @Option(help: ArgumentHelp("Only this status (\(GenerationState.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "status"))
    var status: String?
    @Option(help: ArgumentHelp("Only this project (a UUID).", valueName: "project-id")) var project: String?
    @Option(help: ArgumentHelp("Only those created since: an RFC 3339 time (2026-11-24T10:00:00Z, or with an offset), or an age such as 30m, 2h, 1d.", valueName: "time"))
    var since: String?
    @Option(help: "At most this many (1–500; default 50).") var limit: Int?
    @Option(help: ArgumentHelp("Continue after a previous page (its next_cursor).", valueName: "cursor")) var cursor: String?
    @OptionGroup var client: ClientOptions

    func validate() throws {
        if let status, GenerationState(rawValue: status.uppercased()) == nil {
            throw ValidationError("--status must be one of \(GenerationState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let project, UUID(uuidString: project) == nil { throw ValidationError("--project must be a UUID") }
        if let since, SinceText.timestamp(since, now: Date()) == nil { throw ValidationError("--since must be \(SinceText.rule)") }
        if let limit, !(1...500).contains(limit) { throw ValidationError("--limit must be between 1 and 500") }
        if let cursor, (Int64(cursor) ?? 0) <= 0 { throw ValidationError("--cursor must be a next_cursor from a previous page") }
    }

    func run() async throws {
        let query = GenerationQuery(status: status?.uppercased(), projectID: project?.lowercased(),
                                    since: since.flatMap { SinceText.timestamp($0, now: Date()) }, limit: limit, cursor: cursor)
        try await client.withClient { api in
            let reply = try await api.generations(query)
            client.emit(reply) { ClientReport.generations($0.generations) }
            if !client.json, let next = reply.value.nextCursor { Terminal.error("more: add --cursor \(next)") }
        }
    }
}

/// `declutterd show`: one generation, optionally with its audit trail.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one generation with its archived images, and with --events its audit trail.",
        discussion: "With --json and --events, two JSON documents: the record, then the events.\n\n" + ClientExitCode.help)

    @Argument(help: "A local id or a generation UUID.") var id: String
    @Flag(help: "Also show the callbacks, polls and decisions recorded for it (500 at a time).") var events = false
    @Option(name: .customLong("events-after"), help: ArgumentHelp("With --events: the page after this cursor (the next_cursor of the previous one).",
                                                                 valueName: "cursor"))
    var eventsAfter: String?
    @OptionGroup var client: ClientOptions

    func validate() throws { try ClientArguments.validateID(id) }

    func run() async throws {
        try await client.withClient { api in
            client.emit(try await api.generation(id)) { ClientReport.detailWithArchive($0, link: api.endpoint.url) }
            guard events else { return }
            let trail = try await api.events(id, cursor: eventsAfter)
            if !client.json { Terminal.line("") }
            client.emit(trail) { page in
                ClientReport.events(page.events)
                    + (page.nextCursor.map { "\n(more: declutterd show \(id) --events --events-after \($0))" } ?? "")
            }
        }
    }
}

/// `declutterd stats`: the daemon's counters.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show counts per state, remaining photos, refunds, callback vs poll resolutions, the oldest pending age.",
        discussion: ClientExitCode.help)

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await client.withClient { api in
            client.emit(try await api.stats(), people: ClientReport.stats)
        }
    }
}
