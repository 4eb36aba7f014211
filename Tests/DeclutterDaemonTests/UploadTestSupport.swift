import AsyncHTTPClient
import Crypto
import DeclutterAPI
import DeclutterDaemon
import DeclutterSandbox
import Foundation
import GRDB
import NIOCore
import NIOFoundationCompat
import TestSupport

/// Photos and forms for the upload tests, and what a harness's archive and tables hold.
enum Uploads {
    /// A real PNG (the sandbox's, RGB) of about `bytes` bytes; another `seed`, other bytes.
    static func png(aboutBytes bytes: Int = 3000, seed: UInt64 = 7) -> [UInt8] {
        var configuration = SandboxConfiguration.fast(seed: seed)
        configuration.resultImage = .square(ofAboutBytes: bytes)
        return configuration.resultPNG(generationIndex: 0, imageNumber: 1).bytes()
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: Data(bytes)).map { String(format: "%02x", $0) }.joined()
    }

    static let boundary = "declutterd-test-boundary"
    static let formType = "multipart/form-data; boundary=\(boundary)"

    /// A part of a form: a file when `filename` is set.
    struct Part {
        var name: String
        var filename: String?
        var body: [UInt8]

        static func file(_ name: String, _ body: [UInt8], filename: String = "room.png") -> Part { Part(name: name, filename: filename, body: body) }
        static func text(_ name: String, _ value: String) -> Part { Part(name: name, filename: nil, body: Array(value.utf8)) }
    }

    static func form(_ parts: [Part]) -> Data {
        var bytes: [UInt8] = []
        for part in parts {
            let filename = part.filename.map { "; filename=\"\($0)\"" } ?? ""
            bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"\(filename)\r\n\r\n".utf8) + part.body + [0x0D, 0x0A]
        }
        return Data(bytes + Array("--\(boundary)--\r\n".utf8))
    }
}

extension Harness {
    /// `POST /v1/generations` with a form.
    func upload(_ parts: [Uploads.Part], headers: [String: String] = [:]) async throws -> Reply {
        try await Self.send("POST", daemon.localURL + "/v1/generations", body: Uploads.form(parts),
                            headers: headers.merging(["Content-Type": Uploads.formType]) { mine, _ in mine })
    }

    /// `POST /v1/generations` with the photo as the body.
    func upload(raw bytes: [UInt8], contentType: String = "image/png", query: String = "?auto=true",
                headers: [String: String] = [:]) async throws -> Reply {
        try await Self.send("POST", daemon.localURL + "/v1/generations" + query, body: Data(bytes),
                            headers: headers.merging(["Content-Type": contentType]) { mine, _ in mine })
    }

    /// Sends `bytes` chunked, in 16 KiB pieces with no `Content-Length`: only the cap counted while streaming can stop it.
    func uploadChunked(_ body: Data, contentType: String, query: String = "") async throws -> Reply {
        var request = HTTPClientRequest(url: daemon.localURL + "/v1/generations" + query)
        request.method = .POST
        request.headers.add(name: "content-type", value: contentType)
        let pieces = stride(from: 0, to: body.count, by: 16 * 1024).map { ByteBuffer(data: body[$0..<min($0 + 16 * 1024, body.count)]) }
        request.body = .stream(pieces.async, length: .unknown)
        let response = try await DeclutterClient.sharedHTTPClient.execute(request, timeout: .seconds(60))
        let data = Data(buffer: try await response.body.collect(upTo: 1 << 24))
        return Reply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: data)
    }

    /// Rows of `uploads`.
    func uploadRows() async throws -> Int {
        try await HarnessSQL.count(database, "SELECT count(*) FROM uploads")
    }

    /// The files under the archive directory: kept ones (named by SHA-256) other than downloaded result images, and
    /// those in `tmp/` (where a download in flight writes too: tests that look there keep their generations pending).
    func archiveFiles() async throws -> (kept: [String], temporary: [String]) {
        let results = Set(try await HarnessSQL.strings(database, "SELECT sha256 FROM images WHERE sha256 IS NOT NULL"))
        let root = daemon.daemon.archiveDirectory.root
        let all = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        let kept = all.filter { !$0.hasPrefix("tmp/") }.map { ($0 as NSString).lastPathComponent }.filter { !results.contains($0) }
        return (kept.sorted(), all.filter { $0.hasPrefix("tmp/") })
    }

    /// What the sandbox fetched, in order (with `fetchInputs`).
    func fetchedInputs() async -> [FetchedInput] {
        await sandbox.sandbox.counters().inputsFetched
    }
}

/// The inputs a generation's record lists.
func inputs(of record: [String: Any]) -> [[String: Any]] {
    record["inputs"] as? [[String: Any]] ?? []
}

extension Array where Element: Sendable {
    /// The elements as an async sequence, for a streamed request body.
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
