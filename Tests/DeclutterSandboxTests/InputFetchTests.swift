import Crypto
import DeclutterAPI
import DeclutterSandbox
import Foundation
import Hummingbird
import NIOCore
import TestSupport
import Testing

/// `fetchInputs`: the sandbox fetches the photo of each generate and variation, as the service does.
@Suite("Sandbox: fetching the photos it is given")
struct InputFetchTests {
    static func fetching() -> SandboxConfiguration {
        var configuration = SandboxConfiguration.fast()
        configuration.fetchInputs = true
        return configuration
    }

    /// Serves `photo` at `/room.png`, and 404 elsewhere.
    static func photoServer(_ photo: [UInt8]) async -> LoopbackServer {
        let router = Router()
        router.get("/room.png") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: photo)))
        }
        return await LoopbackServer.start(router)
    }

    @Test("each photo is fetched and its SHA-256 and length recorded against the generation it went to")
    func fetched() async throws {
        let photo = SandboxConfiguration.fast(seed: 3).resultPNG(generationIndex: 0, imageNumber: 1).bytes()
        let server = await Self.photoServer(photo)
        try await withSandbox(Self.fetching()) { sandbox in
            let api = client(for: sandbox)
            let url = server.baseURL + "/room.png"
            let first = try await api.generate(imageURL: url, auto: true, maskURL: nil, webhook: nil)
            let variation = try await api.generateVariation(of: first.generationID, originalURL: url + "?v=2", maskURL: nil, webhook: nil)
            let fetched = await sandbox.sandbox.counters().inputsFetched
            let sha = SHA256.hash(data: Data(photo)).map { String(format: "%02x", $0) }.joined()
            #expect(fetched == [
                FetchedInput(generationID: first.generationID.lowercaseString, field: "image_url", url: url, sha256: sha, bytes: photo.count),
                FetchedInput(generationID: variation.generationID.lowercaseString, field: "original_url", url: url + "?v=2", sha256: sha, bytes: photo.count),
            ])
        }
        await server.stop()
    }

    @Test("a photo that cannot be fetched (404, nothing listening) is refused with 400 and spends nothing")
    func unreachable() async throws {
        let server = await Self.photoServer([1, 2, 3])
        try await withSandbox(Self.fetching()) { sandbox in
            let api = client(for: sandbox)
            for url in [server.baseURL + "/missing.png", "http://127.0.0.1:1/room.png"] {
                let error = await #expect(throws: UpstreamError.self) { try await api.generate(imageURL: url, auto: true, maskURL: nil, webhook: nil) }
                #expect(error?.httpStatus == 400 && error?.kind == .rejected, "\(String(describing: error))")
                #expect(error.map { "\($0)".contains("image_url could not be fetched") } == true, "\(String(describing: error))")
            }
            let counters = await sandbox.sandbox.counters()
            #expect(counters.inputFetchFailures == 2 && counters.inputsFetched.isEmpty && counters.photosSpent == 0)
            #expect(await sandbox.sandbox.remainingPhotos() == 100)
        }
        await server.stop()
    }

    @Test("off by default: a URL nobody serves is taken as it is")
    func offByDefault() async throws {
        try await withSandbox(.fast()) { sandbox in
            _ = try await client(for: sandbox).generate(imageURL: "http://127.0.0.1:1/room.png", auto: true, maskURL: nil, webhook: nil)
            #expect(await sandbox.sandbox.counters().inputsFetched.isEmpty)
        }
    }
}
