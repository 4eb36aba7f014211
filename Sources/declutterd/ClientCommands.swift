import ArgumentParser
import DeclutterDaemon
import Foundation
import LocalClient

// Client commands talk to a running daemon's local API (docs/local-api.md). Exit codes (ClientExitCode):
// 0 success; 1 failure (an API error other than 404, or a generation that ended FAILED, REJECTED or
// LOST under --wait); 64 usage (ArgumentParser's validation); 66 not found (HTTP 404); 69 daemon
// unreachable, or no answer in time. Errors are one line on stderr: `declutterd: <message> (<code>)`.
// `submit` and `vary` always send an Idempotency-Key (`--idempotency-key`, else a new `cli-<uuid>` shown on
// stderr) and send the request again under it when the answer is lost (LocalAPIClient.launch).

extension Declutterd {
    /// Commands that talk to a running daemon's local API.
    static let clientCommands: [any ParsableCommand.Type] = [
        SubmitCommand.self, VaryCommand.self, TrackCommand.self, RefreshCommand.self,
        ListCommand.self, ShowCommand.self, FetchCommand.self, StatsCommand.self, WatchCommand.self, ListingCommand.self, DashboardLinkCommand.self,
    ]
}

/// `declutterd submit`: a new generation.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit an image for decluttering: the whole room (--auto) or the parts a mask marks.",
        discussion: "Prints the new record (202 Accepted); with --wait, follows it until it settles.\n\n" + ClientExitCode.help)

    @Argument(help: ArgumentHelp("The image to declutter: an absolute http(s) URL, or a JPEG or PNG file, which the daemon keeps and hands to the service.",
                                 valueName: "image"))
    var image: String
    @Flag(help: "Let the service find the clutter itself.") var auto = false
    @Option(name: .customLong("mask"), help: ArgumentHelp("A mask image marking what to remove: a URL, or a file when IMAGE is a file.", valueName: "mask"))
    var mask: String?
    @Flag(help: "Show progress and wait until the generation succeeds or fails.") var wait = false
    @Option(help: ArgumentHelp(
        "Makes a retried submission return the first one instead of spending another photo (default: a new cli-<uuid>, shown on stderr).",
        valueName: "key"))
    var idempotencyKey: String?
    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard auto != (mask != nil) else { throw ValidationError("give either --auto or --mask MASK (one of them)") }
        let mask = mask.map(PhotoSource.init)
        switch PhotoSource(image) {
        case .file(let path):
            try ClientArguments.validateFile(path, argument: "IMAGE")
            if case .file(let maskPath)? = mask { try ClientArguments.validateFile(maskPath, argument: "--mask") }
        case .url:
            if case .file? = mask { throw ValidationError("--mask must be a URL when IMAGE is a URL (a mask file goes with an image file)") }
        }
    }

    func run() async throws {
        let key = client.idempotencyKey(given: idempotencyKey)
        try await client.withClient { api in
            let reply: LocalReply<LocalGeneration>
            switch PhotoSource(image) {
            case .url(let url):
                reply = try await api.submit(imageURL: url, auto: auto, maskURL: mask, idempotencyKey: key)
            case .file(let path):
                reply = try await api.submit(imageFile: path, auto: auto, mask: mask.map(PhotoSource.init), idempotencyKey: key)
            }
            try await client.followUp(reply, wait: wait, api: api, keyGenerated: idempotencyKey == nil)
        }
    }
}

/// `declutterd vary`: a variation of an earlier generation.
struct VaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vary",
        abstract: "Ask for a variation of a generation (same project).",
        discussion: "ID is the local id or the generation UUID of the parent.\n\n" + ClientExitCode.help)

    @Argument(help: "The parent: a local id or a generation UUID.") var id: String
    @Option(name: .customLong("mask"), help: ArgumentHelp("A mask for the variation.", valueName: "url")) var maskURL: String?
    @Option(name: .customLong("original"), help: ArgumentHelp("The original image (default: the parent's).", valueName: "url"))
    var originalURL: String?
    @Flag(help: "Show progress and wait until the variation succeeds or fails.") var wait = false
    @Option(help: ArgumentHelp("Makes a retried request return the first variation (default: a new cli-<uuid>, shown on stderr).", valueName: "key"))
    var idempotencyKey: String?
    @OptionGroup var client: ClientOptions

    func validate() throws { try ClientArguments.validateID(id) }

    func run() async throws {
        let key = client.idempotencyKey(given: idempotencyKey)
        try await client.withClient { api in
            let reply = try await api.vary(id, maskURL: maskURL, originalURL: originalURL, idempotencyKey: key)
            try await client.followUp(reply, wait: wait, api: api, keyGenerated: idempotencyKey == nil)
        }
    }
}

/// `declutterd track`: adopt a generation created elsewhere.
struct TrackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Adopt a generation created elsewhere: the daemon polls it until it settles.",
        discussion: ClientExitCode.help)

    @Argument(help: "The upstream generation UUID.") var generationID: String
    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard UUID(uuidString: generationID) != nil else { throw ValidationError("GENERATION_ID must be a UUID, not `\(generationID)`") }
    }

    func run() async throws {
        try await client.withClient { api in
            let reply = try await api.track(generationID: generationID.lowercased())
            if !client.json, reply.httpStatus == 200 { Terminal.error("already tracked") }
            client.emit(reply) { ClientReport.generations([$0]) }
        }
    }
}

/// `declutterd refresh`: poll upstream now.
struct RefreshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Make the daemon poll upstream for a generation now, and print what it learned.",
        discussion: ClientExitCode.help)

    @Argument(help: "A local id or a generation UUID.") var id: String
    @OptionGroup var client: ClientOptions

    func validate() throws { try ClientArguments.validateID(id) }

    func run() async throws {
        try await client.withClient { api in
            client.emit(try await api.refresh(id)) { ClientReport.generations([$0]) }
        }
    }
}

extension ClientOptions {
    /// The key a launch is sent with: `given`, else a new one, shown on stderr (under `--json` too) before
    /// anything is sent, so that a person can repeat the request by hand without spending twice.
    func idempotencyKey(given: String?) -> String {
        if let given { return given }
        let key = LocalAPIClient.newIdempotencyKey()
        Terminal.error("Idempotency-Key: \(key)")
        return key
    }

    /// After a submission: the record, or with `wait` the progress and the settled record.
    func followUp(_ reply: LocalReply<LocalGeneration>, wait: Bool, api: LocalAPIClient, keyGenerated: Bool = false) async throws {
        if reply.replayed, !json {
            // A key made for this run is replayed only when an earlier attempt of this run got through.
            Terminal.error(keyGenerated
                ? "replayed: an earlier attempt got through; this is its generation, nothing was spent twice"
                : "replayed: this Idempotency-Key was used before; no new generation was made")
        }
        guard wait else {
            emit(reply) { ClientReport.generations([$0]) }
            return
        }
        if !json { Terminal.line(ClientReport.generations([reply.value])) }
        try finishWaiting(try await waitUntilSettled(api, id: reply.value.id))
    }
}
