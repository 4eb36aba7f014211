import DeclutterDaemon
import Foundation
import Hummingbird
import Synchronization
import TestSupport

/// A web server on 127.0.0.1 serving what a download may meet: an image, an HTML page labelled image/png, a
/// 404, redirects, a body far over any cap, and a body that stalls after its first bytes until the test lets go.
/// It keeps every request it received.
final class ImageServer: Sendable {
    struct Received: Sendable {
        let path: String
        /// The `Host` the client sent.
        let authority: String?
        /// Lowercased names.
        let headers: [String: String]
    }

    static let image = TestImages.png(width: 640, height: 480, padding: 200_000)
    /// What `/huge` would send in all: far more than any cap in the tests, and than the socket buffers between the
    /// two ends can hold (up to tens of MB on loopback with autotuning), so a client that stops reading stops it well
    /// before the end.
    static let hugeLength = 8 << 30  // far more than loopback moves in the seconds a loaded machine may take to cut it off
    static let chunkLength = 64 << 10

    private let server: LoopbackServer
    private let log: Log
    private let stallGate: AsyncStream<Void>.Continuation

    private struct State {
        var received: [Received] = []
        var hugeBytesSent = 0
        var hugeStoppedEarly = false
    }

    private final class Log: Sendable {
        let state = Mutex(State())
    }

    var baseURL: String { server.baseURL }
    var port: Int { Int(server.baseURL.split(separator: ":").last!)! }
    var received: [Received] { log.state.withLock { $0.received } }
    var hugeBytesSent: Int { log.state.withLock { $0.hugeBytesSent } }
    var hugeStoppedEarly: Bool { log.state.withLock { $0.hugeStoppedEarly } }

    func url(_ path: String) -> String { baseURL + path }

    /// `/redirect?to=<target>`: a 302 to `target`.
    func redirect(to target: String) -> String {
        url("/redirect?to=" + target.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
    }

    private init(server: LoopbackServer, log: Log, stallGate: AsyncStream<Void>.Continuation) {
        self.server = server
        self.log = log
        self.stallGate = stallGate
    }

    /// `stalled` hears when `/stall` has sent its first bytes and holds the rest.
    static func start(stalled: AsyncStream<Void>.Continuation? = nil) async -> ImageServer {
        let log = Log()
        let (gate, gateContinuation) = AsyncStream<Void>.makeStream()
        let router = Router()
        router.middlewares.add(Recorder(log: log))
        router.get("/image.png") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: image)))
        }
        router.get("/html.png") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/png"],
                     body: .init(byteBuffer: ByteBuffer(string: "<!doctype html><html><title>Sign in</title></html>")))
        }
        router.get("/missing.png") { _, _ in
            Response(status: .notFound, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "no such image")))
        }
        router.get("/declared-huge.png") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/png"],
                     body: .init(byteBuffer: ByteBuffer(bytes: TestImages.png(width: 9, height: 9, padding: 1 << 20))))
        }
        router.get("/huge.png") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/png"], body: ResponseBody { writer in
                do {
                    try await writer.write(ByteBuffer(bytes: TestImages.png(width: 9, height: 9)))
                    let chunk = ByteBuffer(repeating: 0x42, count: chunkLength)
                    for _ in 0..<(hugeLength / chunkLength) {
                        try await writer.write(chunk)
                        log.state.withLock { $0.hugeBytesSent += chunkLength }
                    }
                    try await writer.finish(nil)
                } catch {
                    log.state.withLock { $0.hugeStoppedEarly = true }
                    throw error
                }
            })
        }
        router.get("/stall.png") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/png"], body: ResponseBody { writer in
                try await writer.write(ByteBuffer(bytes: TestImages.png(width: 9, height: 9)))
                stalled?.yield()
                for await _ in gate {}
                try await writer.finish(nil)
            })
        }
        router.get("/redirect") { request, _ in
            Response(status: .found, headers: [.location: request.uri.queryParameters.get("to") ?? "/"])
        }
        router.get("/relative") { _, _ in
            Response(status: .movedPermanently, headers: [.location: "image.png"])
        }
        router.get("/loop") { _, _ in
            Response(status: .temporaryRedirect, headers: [.location: "/loop"])
        }
        return ImageServer(server: await LoopbackServer.start(router), log: log, stallGate: gateContinuation)
    }

    func stop() async {
        stallGate.finish()
        await server.stop()
    }

    private struct Recorder: RouterMiddleware {
        let log: Log

        func handle(_ request: Request, context: BasicRequestContext,
                    next: (Request, BasicRequestContext) async throws -> Response) async throws -> Response {
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let received = Received(path: request.uri.path, authority: request.head.authority, headers: headers)
            log.state.withLock { $0.received.append(received) }
            return try await next(request, context)
        }
    }
}

/// Names resolved as the test says; it keeps every name it was asked.
final class StubResolver: HostResolver {
    private let answers: [String: [String]]
    private let asked = Mutex<[String]>([])

    init(_ answers: [String: [String]]) { self.answers = answers }

    var lookups: [String] { asked.withLock { $0 } }

    func resolve(host: String, port: Int) async throws -> [String] {
        asked.withLock { $0.append(host) }
        guard let addresses = answers[host] else { throw ResolutionError("cannot resolve \(host): Name or service not known") }
        return addresses
    }
}
