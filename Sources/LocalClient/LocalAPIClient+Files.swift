import AsyncHTTPClient
import Crypto
import DeclutterFiles
import DeclutterWire
import Foundation
import NIOCore
import NIOFoundationCompat
#if canImport(Glibc)
import Glibc
#endif

// The client side of the file routes (docs/archive.md, "Reading the archive"): copying archived files out.

extension LocalAPIClient {
    /// Downloads the file the local API serves at `path` to `destination`: streamed into a temporary file beside it
    /// (so a partial copy never has the real name), hashed as it comes, checked against `sha256` (and the answer's
    /// ETag), synced, then renamed. Returns the bytes written. Nothing is left behind when it fails. Without a
    /// `sha256` (a zip made for the request), the file is taken as it comes.
    public func download(_ path: String, sha256: String?, to destination: String) async throws(LocalClientError) -> Int64 {
        let request = self.request(path)
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: callTimeout)
        } catch {
            throw LocalClientError(.unreachable, code: "unreachable", message: "cannot reach the daemon at \(endpoint): \(Self.reason(error))")
        }
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { Data(buffer: $0) } ?? Data()
            throw Self.apiError(status: Int(response.status.code), body: body)
        }
        let etag = response.headers.first(name: "ETag")
        guard etag == nil || sha256 == nil || etag == "\"\(sha256 ?? "")\"" else {
            throw LocalClientError(.failure, code: "checksum_mismatch", message: "\(path) answered ETag \(etag ?? "-"), not the SHA-256 listed (\(sha256 ?? "-"))")
        }
        let file = try PartialDownload(beside: destination)
        do {
            var hasher = SHA256()
            for try await buffer in response.body {
                try buffer.withUnsafeReadableBytes { bytes in
                    hasher.update(bufferPointer: bytes)
                    try file.write(bytes)
                }
            }
            let digest = hasher.finalize().hexString
            guard sha256 == nil || digest == sha256 else {
                throw LocalClientError(.failure, code: "checksum_mismatch", message: "\(path) has SHA-256 \(digest), not the \(sha256 ?? "") listed")
            }
            return try file.finish(as: destination)
        } catch let error as LocalClientError {
            file.abandon()
            throw error
        } catch let error as FileSystemError {
            file.abandon()
            throw LocalClientError(.failure, code: "write_failed", message: error.description)
        } catch {
            file.abandon()
            throw LocalClientError(.unreachable, code: "connection_lost", message: "the download of \(path) broke off: \(Self.reason(error))")
        }
    }
}

/// A download on its way to `destination`: `.declutterd-<random>.part` in the same directory, so the final rename
/// stays within one file system. Blocking writes: this is the command line, one download at a time.
final class PartialDownload {
    let temporaryPath: String
    private let descriptor: Int32
    private var settled = false
    private var count: Int64 = 0

    init(beside destination: String) throws(LocalClientError) {
        let url = URL(fileURLWithPath: destination)
        // A short name of its own: a destination's name may already be as long as a file name can be.
        temporaryPath = url.deletingLastPathComponent().appendingPathComponent(".declutterd-\(FileSystem.randomName()).part").path
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            settled = true
            throw LocalClientError(.failure, code: "write_failed", message: FileSystemError("create", temporaryPath, errno: errno).description)
        }
    }

    deinit { abandon() }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try FileSystem.writeAll(descriptor, bytes, path: temporaryPath)
        count += Int64(bytes.count)
    }

    /// Syncs the file and gives it its real name (replacing a file of that name). Returns its size.
    func finish(as destination: String) throws -> Int64 {
        guard fsync(descriptor) == 0 else { throw FileSystemError("sync", temporaryPath, errno: errno) }
        guard rename(temporaryPath, destination) == 0 else { throw FileSystemError("rename to \(destination)", temporaryPath, errno: errno) }
        settled = true
        close(descriptor)
        return count
    }

    /// Deletes the temporary file. Safe to call more than once, and after `finish`.
    func abandon() {
        guard !settled else { return }
        settled = true
        close(descriptor)
        unlink(temporaryPath)
    }
}
