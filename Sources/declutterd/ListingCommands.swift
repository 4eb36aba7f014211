import ArgumentParser
import DeclutterAPI
import DeclutterDaemon
import DeclutterWire
import Foundation
import LocalClient

/// `declutterd listing …`: a set of photos launched, followed and delivered as one unit (docs/listings.md).
struct ListingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listing",
        abstract: "Submit, follow, retry and fetch listings: sets of photos handled as one unit.",
        subcommands: [ListingSubmitCommand.self, ListingShowCommand.self, ListingListCommand.self, ListingRetryCommand.self,
                      ListingFetchCommand.self])
}

/// `declutterd listing submit REFERENCE PHOTO...`
struct ListingSubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a listing: every photo, as files (sent in one form) or as http(s) URLs.",
        discussion: """
            Each photo is decluttered whole (the service finds the clutter itself), and is named by its file name \
            (a URL: its last path component), which names its results too. The daemon refuses the whole listing when \
            the photos left do not cover it, unless --allow-partial. With --wait, a progress bar on a terminal (plain \
            lines when piped) until every photo has ended; exit 1 when some ended without a result.

            """ + ClientExitCode.help)

    @Argument(help: "The listing's reference: your own name for it (A-Z, a-z, 0-9, . _ : -).") var reference: String
    @Argument(help: ArgumentHelp("The photos: JPEG or PNG files, or http(s) URLs (not both).", valueName: "photo")) var photos: [String]
    @Flag(help: "Launch what the photos left allow rather than refusing the listing.") var allowPartial = false
    @Flag(help: "Show progress and wait until every photo has ended.") var wait = false
    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard !photos.isEmpty else { throw ValidationError("give at least one PHOTO") }
        let sources = photos.map(PhotoSource.init)
        let files = sources.compactMap { if case .file(let path) = $0 { path } else { nil } }
        guard files.isEmpty || files.count == photos.count else { throw ValidationError("give the photos as files or as URLs, not both") }
        for path in files { try ClientArguments.validateFile(path, argument: "PHOTO") }
    }

    func run() async throws {
        try await client.withClient { api in
            let reply = if case .url = PhotoSource(photos[0]) {
                try await api.submitListing(reference, imageURLs: photos, auto: true, allowPartial: allowPartial)
            } else {
                try await api.submitListing(reference, files: photos, auto: true, allowPartial: allowPartial)
            }
            if !client.json, reply.replayed { Terminal.error("listing \(reference) was recorded already with these photos: nothing new launched") }
            guard wait else { return client.emit(reply, people: ClientReport.listing) }
            try await ListingWait.follow(reference, api: api, client: client)
        }
    }
}

/// `--wait` for listings: the progress bar, then the listing, exit 1 when some photo ended without a result.
enum ListingWait {
    static func follow(_ reference: String, api: LocalAPIClient, client: ClientOptions) async throws {
        let toStandardError = client.json
        var progress = ProgressLine(inPlace: ClientOutput.isTerminal(standardError: toStandardError))
        let start = ContinuousClock.now
        let reply = try await api.waitUntilEnded(reference) { listing in
            if let text = progress.update(listing, elapsed: start.duration(to: .now).seconds) { ClientOutput.write(text, standardError: toStandardError) }
        }
        ClientOutput.write(progress.finish, standardError: toStandardError)
        client.emit(reply, people: ClientReport.listing)
        let tally = ListingTally(reply.value)
        guard tally.failed == 0 else {
            throw LocalClientError(.failure, code: "listing_completed_with_failures",
                                   message: "\(tally.failed) of \(reply.value.photoCount) photos ended without a result: `declutterd listing retry \(reference)` launches them again")
        }
    }
}

/// `declutterd listing show REFERENCE`
struct ListingShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a listing and each of its photos.",
                                                    discussion: ClientExitCode.help)

    @Argument(help: "The listing's reference.") var reference: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await client.withClient { api in client.emit(try await api.listing(reference), people: ClientReport.listing) }
    }
}

/// `declutterd listing list`
struct ListingListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List listings, newest first.", discussion: ClientExitCode.help)

    @Option(help: ArgumentHelp("Only listings in this state: in_progress, completed or completed_with_failures.", valueName: "state"))
    var state: String?
    @Option(help: "How many at most (1 to 500).") var limit: Int?
    @Option(help: "Where the page starts: a previous page's next_cursor.") var cursor: String?
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await client.withClient { api in
            let reply = try await api.listings(ListingQuery(state: state, limit: limit, cursor: cursor))
            client.emit(reply) { page in
                ClientReport.listings(page.listings) + (page.nextCursor.map { "\n(more: --cursor \($0))" } ?? "")
            }
        }
    }
}

/// `declutterd listing retry REFERENCE`
struct ListingRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Launch again each photo of a listing that ended FAILED, REJECTED or LOST.",
        discussion: "Under the same photo rule as a new listing. With --wait, follows the listing until every photo has ended.\n\n"
            + ClientExitCode.help)

    @Argument(help: "The listing's reference.") var reference: String
    @Flag(help: "Show progress and wait until every photo has ended.") var wait = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await client.withClient { api in
            let reply = try await api.retryListing(reference)
            if !client.json, reply.httpStatus == 200 { Terminal.error("no photo of \(reference) needed a retry") }
            guard wait else { return client.emit(reply, people: ClientReport.listing) }
            try await ListingWait.follow(reference, api: api, client: client)
        }
    }
}

/// `declutterd listing fetch REFERENCE DIR`
struct ListingFetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Copy a listing's results into a directory, named after the photos.",
        discussion: """
            kitchen.jpg gives kitchen.png (and kitchen-2.png for a second image), each checked against its SHA-256; \
            with --zip, the daemon's results.zip instead, as DIR/REFERENCE.zip (with its manifest.json). A photo \
            without a result is reported on stderr, and the command then exits 1.

            """ + ClientExitCode.help)

    @Argument(help: "The listing's reference.") var reference: String
    @Argument(help: "Where to write the files (created if missing).") var directory: String
    @Flag(help: "Write the results as one zip file.") var zip = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await client.withClient { api in
            if zip {
                let written = try await api.fetchListingZip(reference, into: directory)
                ClientOutput.write("\(written.path)  \(written.bytes) bytes\n")
                return
            }
            let fetched = try await api.fetchListing(reference, into: directory)
            for file in fetched.written { ClientOutput.write("\(directory)/\(file.name)  \(file.bytes) bytes\n") }
            for missing in fetched.missing { Terminal.error("declutterd: \(missing.photo): no result: \(missing.reason)") }
            if !fetched.missing.isEmpty {
                throw LocalClientError(.failure, code: "not_fetched", message: "\(fetched.missing.count) results are missing")
            }
        }
    }
}
