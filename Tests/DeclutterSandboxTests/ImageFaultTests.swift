import AsyncHTTPClient
import DeclutterAPI
import DeclutterSandbox
import Foundation
import TestSupport
import Testing

@Suite("Result images served broken on request, for a downloader's checks")
struct ImageFaultTests {
    @Test("notFound: 404 on every request, counted as faults")
    func notFoundAlways() async throws {
        try await withSandbox(faulty(ImageFaults(.notFound))) { sandbox in
            let images = try await succeededImages(of: sandbox)
            let statuses = try await withImageClient { http in
                var statuses: [Int] = []
                for _ in 0..<3 { statuses.append(try await fetch(images[0], with: http).status) }
                return statuses
            }
            #expect(statuses == [404, 404, 404])
            let counters = await sandbox.sandbox.counters()
            #expect(counters.imageFaults == 3)
            #expect(counters.imagesServed == 0)
        }
    }

    @Test("failFirst: the first requests of each image are 404, then the image is served whole")
    func notFoundThenServed() async throws {
        let configuration = faulty(ImageFaults(.notFound, failFirst: 2))
        try await withSandbox(configuration) { sandbox in
            let images = try await succeededImages(of: sandbox)
            try await withImageClient { http in
                var answers: [Fetched] = []
                for _ in 0..<3 { answers.append(try await fetch(images[0], with: http)) }
                #expect(answers.map(\.status) == [404, 404, 200])
                #expect(answers[2].body == configuration.resultPNG(generationIndex: 0, imageNumber: 1).bytes())
                #expect(try await fetch(images[1], with: http).status == 404, "each image counts its own requests")
            }
            let counters = await sandbox.sandbox.counters()
            #expect(counters.imageRequestsByURL == [images[0]: 3, images[1]: 1])
            #expect(counters.imageFaults == 3)
            #expect(counters.imagesServed == 1)
        }
    }

    @Test("html: 200 and Content-Type image/png, but the bytes are a web page")
    func htmlBody() async throws {
        try await withSandbox(faulty(ImageFaults(.html))) { sandbox in
            let images = try await succeededImages(of: sandbox)
            let answer = try await withImageClient { try await fetch(images[0], with: $0) }
            #expect(answer.status == 200)
            #expect(answer.contentType == "image/png")
            #expect(answer.contentLength == answer.body.count)
            #expect(String(decoding: answer.body, as: UTF8.self).hasPrefix("<!doctype html>"))
            #expect(Array(answer.body.prefix(8)) != pngSignature)
        }
    }

    @Test("slow: the head comes, then nothing; the client's read timeout trips, the retry is served, and stop() is not held up")
    func slow() async throws {
        let start = ContinuousClock.now
        // The stall is far longer than any step here may take on a loaded machine: the read timeout (5 s) trips in it,
        // and the sandbox's stop must not wait for it.
        try await withSandbox(faulty(ImageFaults(.slow(.seconds(120)), failFirst: 1))) { sandbox in
            let images = try await succeededImages(of: sandbox)
            try await withImageClient(readTimeout: .seconds(5)) { http in
                let response = try await http.execute(HTTPClientRequest(url: images[0]), timeout: .seconds(30))
                #expect(response.status.code == 200)
                #expect(response.headers.first(name: "content-length").flatMap(Int.init)
                    == sandbox.sandbox.configuration.resultPNG(generationIndex: 0, imageNumber: 1).byteCount)
                await #expect(throws: HTTPClientError.readTimeout) { _ = try await response.body.collect(upTo: 1 << 20) }
            }
            let retried = try await withImageClient { try await fetch(images[0], with: $0) }
            #expect(retried.status == 200, "the second request is served whole")
            #expect(retried.body.count == retried.contentLength)
        }
        #expect(milliseconds(since: start) < 60_000, "took \(milliseconds(since: start)) ms against a 120000 ms stall")
    }

    @Test("oversized: a PNG signature, then junk with no length announced, more than the client reads")
    func oversized() async throws {
        try await withSandbox(faulty(ImageFaults(.oversized(bytes: 1 << 30)))) { sandbox in
            let images = try await succeededImages(of: sandbox)
            try await withImageClient { http in
                let response = try await http.execute(HTTPClientRequest(url: images[0]), timeout: .seconds(30))
                #expect(response.status.code == 200)
                #expect(response.headers.first(name: "content-type") == "image/png")
                #expect(response.headers.first(name: "content-length") == nil)
                #expect(response.headers.first(name: "transfer-encoding") == "chunked")
                var received: [UInt8] = []
                var ended = true
                for try await piece in response.body {
                    received += piece.readableBytesView
                    if received.count > 1 << 20 {
                        ended = false
                        break  // a downloader's cap: the sandbox would have gone on to 1 GiB
                    }
                }
                #expect(!ended, "the body was still coming after \(received.count) bytes")
                #expect(Array(received.prefix(8)) == pngSignature)
            }
        }
    }

    @Test("oversized with a small size: exactly that many bytes, read whole")
    func oversizedExactly() async throws {
        try await withSandbox(faulty(ImageFaults(.oversized(bytes: 300_000)))) { sandbox in
            let images = try await succeededImages(of: sandbox)
            let answer = try await withImageClient { try await fetch(images[1], with: $0) }
            #expect(answer.body.count == 300_000)
            #expect(Array(answer.body.prefix(8)) == pngSignature)
        }
    }

    @Test("redirect: 302 to the configured Location, for a client that must not follow it",
          arguments: ["http://169.254.169.254/latest/meta-data", "http://10.0.0.1/x"])
    func redirect(to location: String) async throws {
        try await withSandbox(faulty(ImageFaults(.redirect(to: location)))) { sandbox in
            let images = try await succeededImages(of: sandbox)
            let answer = try await withImageClient { try await fetch(images[0], with: $0) }
            #expect(answer.status == 302)
            #expect(answer.headers.first(name: "location") == location)
            #expect(await sandbox.sandbox.counters().imageFaults == 1)
        }
    }

    @Test("truncated: the full length is announced, half is sent, then the connection closes")
    func truncated() async throws {
        try await withSandbox(faulty(ImageFaults(.truncated))) { sandbox in
            let images = try await succeededImages(of: sandbox)
            let length = sandbox.sandbox.configuration.resultPNG(generationIndex: 0, imageNumber: 1).byteCount
            try await withImageClient { http in
                let response = try await http.execute(HTTPClientRequest(url: images[0]), timeout: .seconds(30))
                #expect(response.headers.first(name: "content-length").flatMap(Int.init) == length)
                var received = 0
                var failure: (any Error)?
                do {
                    for try await piece in response.body { received += piece.readableBytes }
                } catch {
                    failure = error
                }
                #expect(failure != nil, "a body shorter than its Content-Length is an error")
                #expect(received < length)
            }
        }
    }

    private func faulty(_ faults: ImageFaults) -> SandboxConfiguration {
        var configuration = SandboxConfiguration.fast()
        configuration.imageFaults = faults
        return configuration
    }
}
