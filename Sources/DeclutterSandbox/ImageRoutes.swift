import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

/// `GET /images/{generation}/{file}`: the result images a SUCCEEDED generation lists, streamed as real PNGs
/// (HEAD gives the same head without a body), or broken the way `SandboxConfiguration.imageFaults` asks.
struct ImageRoutes: Sendable {
    let state: SandboxState

    func register(on router: Router<BasicRequestContext>) {
        router.get("/images/{generation}/{file}") { _, context in
            guard let answer = await answer(context, isGet: true) else { throw HTTPError(.notFound) }
            guard let fault = answer.fault else { return Self.image(answer.png) }
            return Self.broken(answer.png, by: fault)
        }
        router.head("/images/{generation}/{file}") { _, context in
            guard let answer = await answer(context, isGet: false) else { throw HTTPError(.notFound) }
            return Self.image(answer.png).createHeadResponse()
        }
    }

    private func answer(_ context: BasicRequestContext, isGet: Bool) async -> ImageAnswer? {
        await state.answerImageRequest(generation: context.parameters.get("generation") ?? "",
                                       file: context.parameters.get("file") ?? "", isGet: isGet)
    }

    /// The whole image, streamed piece by piece under its announced length; after `stall` if given.
    private static func image(_ png: PNGStream, after stall: Duration? = nil) -> Response {
        let body = ResponseBody(contentLength: png.byteCount) { writer in
            if let stall { try await stallUnlessShuttingDown(stall) }
            for piece in png { try await writer.write(piece) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "image/png"], body: body)
    }

    private static func broken(_ png: PNGStream, by fault: ImageFault) -> Response {
        switch fault {
        case .notFound:
            return Response(status: .notFound)
        case .html:
            return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(string: htmlPage)))
        case .slow(let stall):
            return image(png, after: stall)
        case .oversized(let bytes):
            return Response(status: .ok, headers: [.contentType: "image/png"], body: ResponseBody { writer in
                try await writer.write(ByteBuffer(bytes: PNGStream.signature))
                var left = bytes - PNGStream.signature.count
                while left > 0 {
                    try await writer.write(junk.getSlice(at: 0, length: min(left, junk.readableBytes))!)
                    left -= junk.readableBytes
                }
                try await writer.finish(nil)
            })
        case .redirect(let location):
            return Response(status: .found, headers: [.location: location])
        case .truncated:
            return Response(status: .ok, headers: [.contentType: "image/png"], body: ResponseBody(contentLength: png.byteCount) { writer in
                var left = png.byteCount / 2
                var pieces = png.makeIterator()
                while left > 0, let piece = pieces.next() {
                    try await writer.write(piece.getSlice(at: 0, length: min(piece.readableBytes, left))!)
                    left -= piece.readableBytes
                }
                // Hummingbird closes the connection when a body fails mid-way: the client sees it end early.
                throw ImageTruncated()
            })
        }
    }

    /// Sleeps for `stall`, but gives up when the sandbox shuts down, so a stalled answer never holds up `stop()`.
    private static func stallUnlessShuttingDown(_ stall: Duration) async throws {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: stall) }
    }

    private static let htmlPage = """
        <!doctype html>
        <html><head><title>Service unavailable</title></head>
        <body><h1>We'll be right back</h1><p>This is a page, not an image.</p></body></html>
        """

    /// 64 KiB sent again and again by an oversized answer, so even gigabytes are never allocated.
    private static let junk = ByteBuffer(repeating: 0xA5, count: 64 * 1024)
}

/// Ends a truncated answer.
struct ImageTruncated: Error {}
