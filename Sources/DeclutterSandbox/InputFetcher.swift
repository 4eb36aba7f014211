import AsyncHTTPClient
import Crypto
import DeclutterAPI
import Foundation
import NIOCore

/// What the sandbox fetched of a generation's photo (`SandboxConfiguration.fetchInputs`): enough to check it got the
/// very bytes the daemon kept, without keeping them.
public struct FetchedInput: Codable, Sendable, Equatable {
    /// The generation (lowercase) the photo was fetched for.
    public var generationID: String
    /// `image_url` or `original_url`.
    public var field: String
    /// The URL fetched (for a daemon's upload, a capability URL: the sandbox is a test stand-in).
    public var url: String
    /// Lowercase hex SHA-256 of the body.
    public var sha256: String
    public var bytes: Int

    public init(generationID: String, field: String, url: String, sha256: String, bytes: Int) {
        self.generationID = generationID
        self.field = field
        self.url = url
        self.sha256 = sha256
        self.bytes = bytes
    }

    enum CodingKeys: String, CodingKey {
        case generationID = "generation_id", field, url, sha256, bytes
    }
}

/// Fetches a generate request's photo as the service does before it takes the job: a `GET` that must answer 200
/// with a body, hashed as it streams. A photo that cannot be fetched is the caller's fault: 400, nothing spent.
struct InputFetcher: Sendable {
    let httpClient: HTTPClient
    let state: SandboxState

    /// More than the daemon's default `archive.max_bytes`; a body past it is refused.
    static let maxBytes = 64 * 1024 * 1024

    /// The SHA-256 and length of the photo at `url`, when the sandbox is set to fetch inputs; nil otherwise.
    func fetchIfAsked(_ url: String, field: String) async throws -> (sha256: String, bytes: Int)? {
        guard state.configuration.fetchInputs else { return nil }
        do {
            return try await fetch(url)
        } catch {
            await state.count { $0.inputFetchFailures += 1 }
            throw SandboxError.badRequest("\(field) could not be fetched: \(error)")
        }
    }

    private func fetch(_ url: String) async throws -> (sha256: String, bytes: Int) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "accept", value: "image/jpeg, image/png")
        let response = try await httpClient.execute(request, timeout: .seconds(30))
        guard response.status == .ok else {
            _ = try? await response.body.collect(upTo: 1 << 16)
            throw FetchFailure("HTTP \(response.status.code)")
        }
        var hasher = SHA256()
        var count = 0
        for try await chunk in response.body {
            count += chunk.readableBytes
            guard count <= Self.maxBytes else { throw FetchFailure("larger than \(Self.maxBytes) bytes") }
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        }
        guard count > 0 else { throw FetchFailure("empty body") }
        return (hasher.finalize().map { ($0 < 0x10 ? "0" : "") + String($0, radix: 16) }.joined(), count)
    }

    private struct FetchFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
