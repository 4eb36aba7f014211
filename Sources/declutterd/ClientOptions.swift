import ArgumentParser
import DeclutterAPI
import DeclutterDaemon
import Foundation
import LocalClient

/// `--url` and `--json`, shared by every client command.
struct ClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The daemon's local API: http://HOST:PORT or unix:///path/to.sock (default: $DECLUTTERD_URL, else \(LocalEndpoint.defaultURL)).",
        valueName: "url"))
    var url: String?

    @Flag(help: "Print the API's JSON as is (compact, one document per line), for scripts.")
    var json = false

    @Option(help: ArgumentHelp("A local API key (dcl_...) to send, when the daemon runs with local.auth = required (default: $DECLUTTERD_KEY).",
                               valueName: "token"))
    var key: String?

    /// `--key`, else `DECLUTTERD_KEY`; never printed.
    var keyText: String? {
        key ?? ProcessInfo.processInfo.environment["DECLUTTERD_KEY"].flatMap { $0.isEmpty ? nil : $0 }
    }

    var endpointText: String {
        url ?? ProcessInfo.processInfo.environment["DECLUTTERD_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? LocalEndpoint.defaultURL
    }

    func validate() throws {
        do { _ = try LocalEndpoint(endpointText) } catch { throw ValidationError(error.message) }
    }

    /// Runs `body` against the daemon; a `LocalClientError` becomes one line on stderr and its exit code.
    func withClient(_ body: (LocalAPIClient) async throws -> Void) async throws {
        do {
            try await LocalAPIClient.with(try LocalEndpoint(endpointText), key: keyText, body: body)
        } catch let error as LocalClientError {
            Terminal.error("declutterd: \(error)")
            throw ExitCode(error.exitCode)
        }
    }

    /// The answer's body as the daemon sent it (`--json`), else what `people` makes of it.
    func emit<Value>(_ reply: LocalReply<Value>, people: (Value) -> String) {
        if json {
            ClientOutput.write(String(decoding: reply.body, as: UTF8.self).trimmingCharacters(in: .newlines) + "\n")
        } else {
            ClientOutput.write(people(reply.value) + "\n")
        }
    }

    /// Waits until the generation settles, drawing the progress line: on stdout for people, on stderr
    /// under `--json` (stdout then holds only the final record). Throws exit 1 if it ended without images.
    func waitUntilSettled(_ client: LocalAPIClient, id: Int64) async throws -> LocalReply<LocalGeneration> {
        let toStandardError = json
        var progress = ProgressLine(inPlace: ClientOutput.isTerminal(standardError: toStandardError))
        let start = ContinuousClock.now
        let reply: LocalReply<LocalGeneration>
        do {
            reply = try await client.waitUntilSettled(String(id)) { generation in
                if let text = progress.update(generation, elapsed: start.duration(to: .now).seconds) { ClientOutput.write(text, standardError: toStandardError) }
            }
        } catch {
            ClientOutput.write(progress.finish, standardError: toStandardError)
            throw error
        }
        ClientOutput.write(progress.finish, standardError: toStandardError)
        return reply
    }

    /// After `--wait`: the final record, then exit 1 if the generation ended FAILED, REJECTED or LOST.
    func finishWaiting(_ reply: LocalReply<LocalGeneration>) throws {
        emit(reply, people: ClientReport.detail)
        let generation = reply.value
        guard generation.endedUnsuccessfully else { return }
        let reason = generation.statusReason.map { ": \($0)" } ?? ""
        throw LocalClientError(.failure, code: "generation_\(generation.status.lowercased())",
                               message: "generation \(generation.id) ended \(generation.status)\(reason)")
    }
}

/// Unbuffered writes without an added newline (the progress line needs `\r`).
enum ClientOutput {
    static func write(_ text: String, standardError: Bool = false) {
        guard !text.isEmpty else { return }
        (standardError ? FileHandle.standardError : FileHandle.standardOutput).write(Data(text.utf8))
    }

    static func isTerminal(standardError: Bool = false) -> Bool {
        isatty(standardError ? STDERR_FILENO : STDOUT_FILENO) == 1
    }
}

/// Validation shared by client commands.
enum ClientArguments {
    /// A file to send must be there and readable: a usage error (64) naming it otherwise, before anything is sent.
    static func validateFile(_ path: String, argument: String) throws {
        do { _ = try LocalFileError.regularFileSize(path) } catch { throw ValidationError("\(argument): \(error)") }
    }

    static func validateID(_ id: String) throws {
        if let row = Int64(id), row > 0 { return }
        guard UUID(uuidString: id) != nil else { throw ValidationError("ID must be a local id (a positive number) or a generation UUID, not `\(id)`") }
    }
}
