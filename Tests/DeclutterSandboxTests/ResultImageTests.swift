import DeclutterAPI
import DeclutterSandbox
import Foundation
import TestSupport
import Testing

@Suite("Result images: real PNGs over loopback HTTP, deterministic under the seed")
struct ResultImageTests {
    @Test("a SUCCEEDED generation's images are PNGs of the configured shape, announced at their length")
    func servedImages() async throws {
        var configuration = SandboxConfiguration.fast()
        configuration.resultImage = ResultImageShape(width: 80, height: 60)
        try await withSandbox(configuration) { sandbox in
            let images = try await succeededImages(of: sandbox)
            #expect(images.count == 2)
            try await withImageClient { http in
                for (number, url) in images.enumerated() {
                    let image = try await fetch(url, with: http)
                    #expect(image.status == 200)
                    #expect(image.contentType == "image/png")
                    #expect(image.contentLength == image.body.count)
                    #expect(Array(image.body.prefix(8)) == pngSignature)
                    #expect(pngDimensions(image.body).map { [$0.width, $0.height] } == [80, 60])
                    #expect(image.body == configuration.resultPNG(generationIndex: 0, imageNumber: number + 1).bytes())
                }
            }
            let counters = await sandbox.sandbox.counters()
            #expect(counters.imagesServed == 2)
            #expect(counters.imageRequests == 2)
            #expect(counters.imageRequestsByURL == [images[0]: 1, images[1]: 1])
        }
    }

    @Test("python3 decodes them: every chunk's CRC, the zlib stream over several stored blocks, the scanlines",
          arguments: [ResultImageShape(width: 1, height: 1), .small, ResultImageShape(width: 200, height: 150)])
    func decodable(shape: ResultImageShape) async throws {
        var configuration = SandboxConfiguration.fast()
        configuration.resultImage = shape
        try await withSandbox(configuration) { sandbox in
            let images = try await succeededImages(of: sandbox)
            let body = try await withImageClient { try await fetch(images[1], with: $0).body }
            let verdict = try await pythonVerdict(on: body, width: shape.width, height: shape.height)
            #expect(verdict.status == 0, "\(verdict)")
            #expect(verdict.stdout.contains("ok"), "\(verdict)")
        }
    }

    @Test("the same seed gives the same bytes; another seed or image number gives others")
    func deterministic() async throws {
        let first = try await imagesOfFirstGeneration(seed: 5)
        let again = try await imagesOfFirstGeneration(seed: 5)
        let other = try await imagesOfFirstGeneration(seed: 6)
        #expect(first == again)
        #expect(first[0] != first[1])
        #expect(first[0] != other[0])
        #expect(first[0].count == other[0].count)
    }

    @Test("404 for an unknown generation, one not SUCCEEDED yet, or a file it does not list")
    func notFound() async throws {
        var configuration = SandboxConfiguration.fast()
        configuration.completionTime = 30...30
        try await withSandbox(configuration) { sandbox in
            let generation = try await client(for: sandbox).generate(imageURL: roomImage, auto: true, maskURL: nil, webhook: nil)
            let running = "\(sandbox.baseURL)/images/\(generation.generationID.lowercaseString)"
            try await withImageClient { http in
                for url in ["\(running)/1.png", "\(sandbox.baseURL)/images/\(UUID().lowercaseString)/1.png",
                            "\(sandbox.baseURL)/images/not-a-uuid/1.png"] {
                    let status = try await fetch(url, with: http).status
                    #expect(status == 404, "\(url)")
                }
            }
            #expect(await sandbox.sandbox.counters().imageRequests == 3)
            #expect(await sandbox.sandbox.counters().imageRequestsByURL.isEmpty)
        }
        try await withSandbox(.fast()) { sandbox in
            let images = try await succeededImages(of: sandbox)
            let unlisted = images[1].replacingOccurrences(of: "/2.png", with: "/3.png")
            #expect(try await withImageClient { try await fetch(unlisted, with: $0).status } == 404)
        }
    }

    @Test("HEAD gives the image's head, length included, without a body and without counting a request")
    func head() async throws {
        try await withSandbox(.fast()) { sandbox in
            let images = try await succeededImages(of: sandbox)
            let head = try await withImageClient { try await fetch(images[0], method: .HEAD, with: $0) }
            #expect(head.status == 200)
            #expect(head.contentType == "image/png")
            #expect(head.contentLength == sandbox.sandbox.configuration.resultPNG(generationIndex: 0, imageNumber: 1).byteCount)
            #expect(head.body.isEmpty)
            #expect(await sandbox.sandbox.counters().imageRequests == 0)
        }
    }

    @Test("the pieces carry the bytes of bytes(), at the length known in advance, none over a stored block",
          arguments: [ResultImageShape(width: 1, height: 1), .small, ResultImageShape(width: 300, height: 300)])
    func pieces(shape: ResultImageShape) {
        let png = PNGStream(pixels: SeededPixels(shape: shape, seed: 9))
        let pieces = Array(png)
        #expect(pieces.allSatisfy { $0.readableBytes <= 5 + 65535 })
        #expect(pieces.flatMap { Array($0.readableBytesView) } == png.bytes())
        #expect(png.bytes().count == png.byteCount)
        #expect(pieces.count == 2 + (shape.height * (1 + 3 * shape.width) + 65534) / 65535)
    }

    @Test("a square can be picked for about N bytes, for benchmarks (its length is computed, not made)",
          arguments: [1 << 20, 20 << 20])
    func squareOfAboutBytes(bytes: Int) {
        let shape = ResultImageShape.square(ofAboutBytes: bytes)
        let length = PNGStream(pixels: SeededPixels(shape: shape, seed: 1)).byteCount
        let larger = ResultImageShape(width: shape.width + 1, height: shape.height + 1)
        #expect(shape.width == shape.height)
        #expect(length <= bytes)
        #expect(PNGStream(pixels: SeededPixels(shape: larger, seed: 1)).byteCount > bytes)
    }

    private func imagesOfFirstGeneration(seed: UInt64) async throws -> [[UInt8]] {
        try await withSandbox(.fast(seed: seed)) { sandbox in
            let images = try await succeededImages(of: sandbox)
            return try await withImageClient { http in
                var bodies: [[UInt8]] = []
                for url in images { bodies.append(try await fetch(url, with: http).body) }
                return bodies
            }
        }
    }
}
