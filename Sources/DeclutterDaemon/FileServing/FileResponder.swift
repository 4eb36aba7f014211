import Hummingbird
import Logging

/// Turns an archived file into the answer to a GET or HEAD: 200 with the whole file, 206 with one range, 304 when
/// the client has it, 416 for a range past the end (`FileAnswer` decides which). The bytes are streamed from disk a
/// chunk at a time on the thread pool, never read whole into memory. Every route that serves a file from the
/// archive answers through here, so they all keep the same rules.
public enum FileResponder {
    /// The answer to a request with `headers` for `file`. A HEAD gets the same answer, its body dropped by the
    /// router (the file is opened, but not read). Throws `APIError`s: 416, and 500 `file_missing` (logged) when the
    /// file is not on disk as recorded.
    public static func response(serving file: ServedFile, to headers: HTTPFields, logger: Logger) async throws -> Response {
        let answer = try FileAnswer(file: file, request: headers)
        guard let bytes = answer.bytes else { return Response(status: answer.status, headers: answer.headers) }
        let open = try await opened(file, logger: logger)
        let body = ResponseBody(contentLength: bytes.count) { writer in try await open.stream(bytes, to: &writer) }
        return Response(status: answer.status, headers: answer.headers, body: body)
    }

    /// The file, open, once it is known to be the one recorded.
    private static func opened(_ file: ServedFile, logger: Logger) async throws -> OpenFile {
        let problem: String
        do {
            if let open = try await OpenFile.open(file.path) {
                guard open.size != file.size else { return open }
                problem = "it has \(open.size) bytes, not the \(file.size) recorded"
            } else {
                problem = "there is no such file"
            }
        } catch {
            problem = "\(error)"
        }
        logger.error("archived file missing", metadata: ["sha256": "\(file.sha256)", "path": "\(file.path)", "error": "\(problem)"])
        throw APIError(.internalServerError, code: .fileMissing,
                       message: "the archived file \(file.sha256) is missing or damaged; the daemon's log has the details")
    }
}
