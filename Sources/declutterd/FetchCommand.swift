import ArgumentParser
import DeclutterDaemon
import DeclutterStore
import Foundation
import LocalClient

/// `declutterd fetch`: copies a generation's archived result images out of the daemon.
struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Copy a generation's archived result images into a directory.",
        discussion: """
            Each archived image is written as <local id>-<n>.<png|jpg|webp>, through a temporary file in the same \
            directory, its SHA-256 checked before it takes its name; one line per file (path, bytes, WxH). An image \
            that is not archived (pending, failed, pruned) or could not be copied is reported on stderr, and the \
            command then exits 1. With --json, a JSON list with one object per image.

            """ + ClientExitCode.help)

    @Argument(help: "A local id or a generation UUID.") var id: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the files (created if missing).", valueName: "dir"))
    var output = "."
    @OptionGroup var client: ClientOptions

    func validate() throws { try ClientArguments.validateID(id) }

    func run() async throws {
        try await client.withClient { api in
            let images = try await api.fetchImages(of: id, into: output)
            if client.json {
                ClientOutput.write(String(decoding: try PublicJSON.encode(images), as: UTF8.self) + "\n")
            } else if images.contains(where: \.isFetched) {
                ClientOutput.write(ClientReport.fetched(images) + "\n")
            }
            let missed = images.filter { !$0.isFetched }
            for image in missed {
                Terminal.error("declutterd: image \(image.index) not fetched: \(image.state)" + (image.error.map { ": \($0)" } ?? ""))
            }
            if !missed.isEmpty {
                throw LocalClientError(.failure, code: "not_fetched",
                                       message: "\(missed.count) of \(images.count) images were not fetched")
            }
        }
    }
}
