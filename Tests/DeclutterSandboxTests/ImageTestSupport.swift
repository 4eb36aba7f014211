import AsyncHTTPClient
import DeclutterAPI
import DeclutterSandbox
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// Launches one generation and waits for it to SUCCEED: the result-image URLs its payload lists.
func succeededImages(of sandbox: RunningSandbox) async throws -> [String] {
    let api = client(for: sandbox)
    let generation = try await api.generate(imageURL: roomImage, auto: true, maskURL: nil, webhook: nil)
    var images: [String] = []
    try await eventually("the generation SUCCEEDED") {
        images = try await api.retrieve(generation.generationID).payload.get().images
        return !images.isEmpty
    }
    return images
}

/// An HTTP client the way a downloader would hold one: no redirects followed, a read timeout between pieces.
func withImageClient<T>(readTimeout: TimeAmount = .seconds(30), _ body: (HTTPClient) async throws -> T) async throws -> T {
    let configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                 timeout: .init(connect: .seconds(10), read: readTimeout))
    return try await using(HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration),
                           stop: { try? await $0.shutdown() }, body)
}

/// One answer read whole.
struct Fetched {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]

    var contentLength: Int? { headers.first(name: "content-length").flatMap(Int.init) }
    var contentType: String? { headers.first(name: "content-type") }
}

func fetch(_ url: String, method: HTTPMethod = .GET, with client: HTTPClient) async throws -> Fetched {
    var request = HTTPClientRequest(url: url)
    request.method = method
    let response = try await client.execute(request, timeout: .seconds(10))
    let body = try await response.body.collect(upTo: 64 << 20)
    return Fetched(status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView))
}

/// IHDR's width and height, read from where every PNG keeps them (bytes 16..<24).
func pngDimensions(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
    guard bytes.count >= 24, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
    let number = { (at: Int) in bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (number(16), number(20))
}

let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

/// Runs `Fixtures/check_png.py` on `bytes` (python3 with its standard library only): "ok" when the PNG is real.
func pythonVerdict(on bytes: [UInt8], width: Int, height: Int) async throws -> ProcessRunner.Run {
    let python = try #require(ProcessRunner.onPath("python3"), "python3 is needed to decode the PNGs independently")
    let scratch = try TemporaryDirectory(prefix: "sandbox-png")
    defer { scratch.remove() }
    let file = scratch.url.appendingPathComponent("image.png")
    try Data(bytes).write(to: file)
    let script = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/check_png.py")
    return try await ProcessRunner.run(python, [script.path, file.path, String(width), String(height)], environment: [:])
}

/// Milliseconds since `start`, for messages.
func milliseconds(since start: ContinuousClock.Instant) -> Int64 {
    let elapsed = ContinuousClock.now - start
    return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
}
