import ArgumentParser
import DeclutterDaemon
import DeclutterStore
import Foundation
import LocalClient

// Commands for webhook delivery (docs/delivery.md): endpoints, deliveries, redeliver, recover. They talk to
// the local API like the other client commands, with the same exit codes (ClientExitCode) and `--json`.

extension Declutterd {
    static let deliveryCommands: [any ParsableCommand.Type] = [
        EndpointsCommand.self, DeliveriesCommand.self, RedeliverCommand.self, RecoverCommand.self,
    ]
}

/// `declutterd endpoints …`: the local apps that receive webhooks.
struct EndpointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoints",
        abstract: "Manage the webhook endpoints: the local apps messages are delivered to.",
        discussion: ClientExitCode.help,
        subcommands: [Add.self, List.self, Show.self, Update.self, Remove.self, Enable.self, Disable.self, RotateSecret.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an endpoint; prints its signing secret, this once.", discussion: ClientExitCode.help)

        @Argument(help: "Where messages are POSTed (an absolute http(s) URL).") var url: String
        @Option(help: ArgumentHelp("Only these message types, comma-separated (default: every type): \(DeliveryArguments.typeNames).",
                                   valueName: "types"))
        var types: String?
        @Option(help: "What the endpoint is, for people.") var description: String?
        @OptionGroup var client: ClientOptions

        func validate() throws { if let types { _ = try DeliveryArguments.types(types) } }

        func run() async throws {
            try await client.withClient { api in
                let reply = try await api.addEndpoint(url: url, types: try types.flatMap(DeliveryArguments.types), description: description)
                client.emit(reply) { ClientReport.secretNotice($0, rotated: false) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the endpoints (never their secrets).", discussion: ClientExitCode.help)

        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await client.withClient { api in
                client.emit(try await api.endpoints()) { ClientReport.endpoints($0.endpoints) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one endpoint (never its secret).", discussion: ClientExitCode.help)

        @Argument(help: "The endpoint's id.") var id: Int64
        @OptionGroup var client: ClientOptions

        func validate() throws { try DeliveryArguments.validate(id, "ID") }

        func run() async throws {
            try await client.withClient { api in
                client.emit(try await api.endpoint(id), people: ClientReport.endpointDetail)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an endpoint's URL, types or description.",
            discussion: "--types all takes every type again; --description \"\" clears it.\n\n" + ClientExitCode.help)

        @Argument(help: "The endpoint's id.") var id: Int64
        // Not `--url`: that names the daemon, as for every client command.
        @Option(name: .customLong("endpoint-url"), help: ArgumentHelp("A new URL for the endpoint (an absolute http(s) URL).", valueName: "url"))
        var url: String?
        @Option(help: ArgumentHelp("Only these message types, comma-separated, or `all`: \(DeliveryArguments.typeNames).", valueName: "types"))
        var types: String?
        @Option(help: "A new description (empty: none).") var description: String?
        @OptionGroup var client: ClientOptions

        func validate() throws {
            try DeliveryArguments.validate(id, "ID")
            guard url != nil || types != nil || description != nil else {
                throw ValidationError("give at least one of --endpoint-url, --types, --description")
            }
            if let types, types != "all" { _ = try DeliveryArguments.types(types) }
        }

        func run() async throws {
            var update = EndpointUpdate(url: url)
            if types == "all" {
                update.types = .some(nil)
            } else if let types {
                update.types = .some(try DeliveryArguments.types(types))
            }
            if let description { update.description = .some(description.isEmpty ? nil : description) }
            try await client.withClient { api in
                client.emit(try await api.updateEndpoint(id, update), people: ClientReport.endpointDetail)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an endpoint, with its deliveries and their attempts.", discussion: ClientExitCode.help)

        @Argument(help: "The endpoint's id.") var id: Int64
        @OptionGroup var client: ClientOptions

        func validate() throws { try DeliveryArguments.validate(id, "ID") }

        func run() async throws {
            try await client.withClient { api in
                _ = try await api.removeEndpoint(id)
                if !client.json { Terminal.line("endpoint \(id) removed") }
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable an endpoint: the deliveries that waited go out.", discussion: ClientExitCode.help)

        @Argument(help: "The endpoint's id.") var id: Int64
        @OptionGroup var client: ClientOptions

        func validate() throws { try DeliveryArguments.validate(id, "ID") }

        func run() async throws {
            try await client.withClient { api in
                client.emit(try await api.setEndpointEnabled(id, true), people: ClientReport.endpointDetail)
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable an endpoint: its messages wait until it is enabled again.", discussion: ClientExitCode.help)

        @Argument(help: "The endpoint's id.") var id: Int64
        @OptionGroup var client: ClientOptions

        func validate() throws { try DeliveryArguments.validate(id, "ID") }

        func run() async throws {
            try await client.withClient { api in
                client.emit(try await api.setEndpointEnabled(id, false), people: ClientReport.endpointDetail)
            }
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Give an endpoint a new secret; prints it, this once. The previous one keeps signing for a while.",
            discussion: ClientExitCode.help)

        @Argument(help: "The endpoint's id.") var id: Int64
        @OptionGroup var client: ClientOptions

        func validate() throws { try DeliveryArguments.validate(id, "ID") }

        func run() async throws {
            try await client.withClient { api in
                client.emit(try await api.rotateSecret(id)) { ClientReport.secretNotice($0, rotated: true) }
            }
        }
    }
}

/// `declutterd deliveries …`: where each message stands with each endpoint.
struct DeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries",
        abstract: "Inspect deliveries: one per message and endpoint, with every attempt.",
        discussion: ClientExitCode.help,
        subcommands: [List.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List deliveries, newest first.",
            discussion: "When more remain, the option for the next page is printed on stderr.\n\n" + ClientExitCode.help)

        @Option(help: ArgumentHelp("Only to this endpoint (its id).", valueName: "id")) var endpoint: Int64?
        @Option(help: ArgumentHelp("Only this status (\(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "status"))
        var status: String?
        @Option(help: ArgumentHelp("Only about this generation (a local id or a generation UUID).", valueName: "id")) var generation: String?
        @Option(help: ArgumentHelp("Only of this message (its sequence number).", valueName: "id")) var message: Int64?
        @Option(help: "At most this many (1–500; default 50).") var limit: Int?
        @Option(help: ArgumentHelp("Continue after a previous page (its next_cursor).", valueName: "cursor")) var cursor: String?
        @OptionGroup var client: ClientOptions

        func validate() throws {
            if let endpoint { try DeliveryArguments.validate(endpoint, "--endpoint") }
            if let message { try DeliveryArguments.validate(message, "--message") }
            if let status, DeliveryStatus(rawValue: status.lowercased()) == nil {
                throw ValidationError("--status must be one of \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let generation { try ClientArguments.validateID(generation) }
            if let limit, !(1...500).contains(limit) { throw ValidationError("--limit must be between 1 and 500") }
            if let cursor, (Int64(cursor) ?? 0) <= 0 { throw ValidationError("--cursor must be a next_cursor from a previous page") }
        }

        func run() async throws {
            let query = DeliveryQuery(endpointID: endpoint, status: status?.lowercased(), generationID: generation?.lowercased(),
                                      messageID: message, limit: limit, cursor: cursor)
            try await client.withClient { api in
                let reply = try await api.deliveries(query)
                client.emit(reply) { ClientReport.deliveries($0.deliveries) }
                if !client.json, let next = reply.value.nextCursor { Terminal.error("more: add --cursor \(next)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one delivery with its attempts.", discussion: ClientExitCode.help)

        @Argument(help: "The delivery's id.") var id: Int64
        @OptionGroup var client: ClientOptions

        func validate() throws { try DeliveryArguments.validate(id, "ID") }

        func run() async throws {
            try await client.withClient { api in
                client.emit(try await api.delivery(id), people: ClientReport.deliveryDetail)
            }
        }
    }
}

/// `declutterd redeliver`: a message again.
struct RedeliverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redeliver",
        abstract: "Deliver a message again: to every endpoint it went to, or to one (also one added since).",
        discussion: "The retry schedule starts again from its first step.\n\n" + ClientExitCode.help)

    @Argument(help: "The message's sequence number (a delivery's message_id, the N of its webhook-id msg_N).") var message: Int64
    @Option(help: ArgumentHelp("Only to this endpoint (its id).", valueName: "id")) var endpoint: Int64?
    @OptionGroup var client: ClientOptions

    func validate() throws {
        try DeliveryArguments.validate(message, "MESSAGE")
        if let endpoint { try DeliveryArguments.validate(endpoint, "--endpoint") }
    }

    func run() async throws {
        try await client.withClient { api in
            client.emit(try await api.redeliver(message: message, endpoint: endpoint)) { DeliveryArguments.queued($0.queued) }
        }
    }
}

/// `declutterd recover`: an endpoint's dead letters again.
struct RecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Deliver again every message that failed for an endpoint, among those written since a time.",
        discussion: "The retry schedule starts again from its first step.\n\n" + ClientExitCode.help)

    @Argument(help: "The endpoint's id.") var endpoint: Int64
    @Option(help: ArgumentHelp("Messages written since: an age such as 30m, 2h or 1d, or an RFC 3339 time (2026-11-24T10:00:00Z).",
                               valueName: "time"))
    var since: String
    @OptionGroup var client: ClientOptions

    func validate() throws {
        try DeliveryArguments.validate(endpoint, "ENDPOINT")
        guard SinceText.date(since, now: Date()) != nil else { throw ValidationError("--since must be \(SinceText.rule)") }
    }

    func run() async throws {
        try await client.withClient { api in
            client.emit(try await api.recover(endpoint: endpoint, since: since)) { DeliveryArguments.queued($0.queued) }
        }
    }
}

/// Validation and wording shared by the delivery commands.
enum DeliveryArguments {
    static let typeNames = MessageType.allCases.map(\.rawValue).joined(separator: ", ")

    static func validate(_ id: Int64, _ name: String) throws {
        guard id > 0 else { throw ValidationError("\(name) must be a positive id, not \(id)") }
    }

    /// `a,b` → the distinct known types, in order.
    static func types(_ text: String) throws -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ValidationError("--types needs at least one type: \(typeNames)") }
        var types: [String] = []
        for name in names where !types.contains(name) {
            guard MessageType(rawValue: name) != nil else { throw ValidationError("--types: unknown type `\(name)` (known: \(typeNames))") }
            types.append(name)
        }
        return types
    }

    static func queued(_ count: Int) -> String {
        "queued \(count) deliver\(count == 1 ? "y" : "ies")"
    }
}
