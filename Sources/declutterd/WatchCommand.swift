import ArgumentParser
import DeclutterDaemon
import DeclutterStore
import Foundation
import LocalClient

/// `declutterd watch`: the event stream in the terminal.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Tail the event stream: each message as it is committed, or one generation's until it ends.",
        discussion: """
            One line per message (sequence, time, type, generation, status); --json prints each message body on \
            one line. With ID it starts from that generation's first message and exits 0 once it has ended. If the \
            connection drops, it reconnects from the last message seen (Last-Event-ID), waiting longer after each \
            failed attempt (up to 10 s).
            """ + "\n\n" + ClientExitCode.help)

    @Argument(help: "A local id or a generation UUID: follow that generation until it ends.") var id: String?
    @Option(help: ArgumentHelp("Only these message types, comma-separated (\(MessageType.allCases.map(\.rawValue).joined(separator: ", "))).",
                               valueName: "types"))
    var types: String?
    @Option(help: ArgumentHelp("Start right after this message sequence number (replaying what came since).", valueName: "sequence"))
    var after: Int64?
    @OptionGroup var client: ClientOptions

    func validate() throws {
        if let id { try ClientArguments.validateID(id) }
        if let after, after < 0 { throw ValidationError("--after must be a sequence number, 0 or more") }
        if let types, typeList(types) == nil {
            throw ValidationError("--types must be a comma-separated list of \(MessageType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    private func typeList(_ text: String) -> [String]? {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        return names.allSatisfy({ MessageType(rawValue: $0) != nil }) ? names : nil
    }

    func run() async throws {
        let request = EventStreamRequest(generation: id, types: types.flatMap(typeList), after: after)
        let json = client.json
        try await client.withClient { api in
            try await api.watchEvents(request, onReconnect: { reason, delay in
                Terminal.error("declutterd: \(reason); reconnecting in \(DurationText.format(delay))")
            }) { event in
                ClientOutput.write((json ? event.data : ClientReport.event(event)) + "\n")
            }
        }
    }
}
