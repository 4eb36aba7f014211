import AsyncHTTPClient
@testable import DeclutterDaemon
import Foundation
import TestSupport
import Testing

/// Downloads from a real server on 127.0.0.1 into a real archive directory. The loopback server is let through
/// by `allowNetworks: 127.0.0.1/32` (or `allowPrivate`); the download's timeout runs on a manual clock.
@Suite("Image downloader: checked, capped, streamed, bounded in time")
struct ImageDownloaderTests {
    static let loopbackOnly = DownloadPolicy(allowNetworks: [CIDR("127.0.0.1/32")!])

    @Test("a real download: the bytes served, under their SHA-256, nothing left in tmp/, polite headers")
    func archived() async throws {
        try await DownloadRig.with(policy: Self.loopbackOnly) { rig in
            let outcome = await rig.downloader().download(rig.server.url("/image.png"))
            let image = ImageServer.image
            let expected = ArchivedFile(sha256: ArchiveDirectoryTests.sha256(image), bytes: Int64(image.count), format: .png,
                                        dimensions: ImageDimensions(width: 640, height: 480))
            #expect(outcome == .archived(expected))
            let stored = try Data(contentsOf: URL(fileURLWithPath: rig.directory.path(forSHA256: expected.sha256)))
            #expect(Array(stored) == image)
            #expect(try ArchiveDirectoryTests.leftovers(rig.directory).isEmpty)
            let request = try #require(rig.server.received.first)
            #expect(request.headers["user-agent"] == "declutterd/\(DaemonVersion.current)")
            #expect(request.headers["accept"] == "image/jpeg, image/png, image/webp")
            #expect(request.headers["cookie"] == nil && request.headers["authorization"] == nil)
        }
    }

    @Test("the same image twice: one file")
    func duplicate() async throws {
        try await DownloadRig.with(policy: Self.loopbackOnly) { rig in
            let first = await rig.downloader().download(rig.server.url("/image.png"))
            let second = await rig.downloader().download(rig.server.url("/image.png"))
            #expect(first == second)
            guard case .archived(let file) = first else { Issue.record("\(first)"); return }
            let files = try ArchiveDirectoryTests.archivedFiles(rig.directory), leftovers = try ArchiveDirectoryTests.leftovers(rig.directory)
            #expect(files == [rig.directory.path(forSHA256: file.sha256)])
            #expect(leftovers.isEmpty)
        }
    }

    @Test("404: failed with the status, worth retrying, nothing kept")
    func notFound() async throws {
        try await DownloadRig.with(policy: Self.loopbackOnly) { rig in
            let outcome = await rig.downloader().download(rig.server.url("/missing.png"))
            #expect(outcome == .failed(reason: "HTTP 404", httpStatus: 404, permanent: false))
            #expect(rig.nothingKept())
        }
    }

    @Test("an HTML page labelled image/png is refused, and not kept")
    func htmlAsImage() async throws {
        try await DownloadRig.with(policy: Self.loopbackOnly) { rig in
            let outcome = await rig.downloader().download(rig.server.url("/html.png"))
            #expect(outcome == .failed(reason: "not a JPEG, PNG or WebP image (starts with <!doctype)", httpStatus: 200, permanent: false))
            #expect(rig.nothingKept())
        }
    }

    @Test("a declared length over the cap is refused before reading, for good")
    func declaredTooLarge() async throws {
        try await DownloadRig.with(policy: Self.loopbackOnly) { rig in
            let outcome = await rig.downloader(maxBytes: 256 << 10).download(rig.server.url("/declared-huge.png"))
            #expect(outcome == .failed(reason: "larger than 262144 bytes", httpStatus: 200, permanent: true))
            #expect(rig.nothingKept())
        }
    }

    @Test("a streamed body far over the cap is cut off while streaming: the file removed, the server stopped early")
    func streamedTooLarge() async throws {
        try await DownloadRig.with(policy: Self.loopbackOnly) { rig in
            let outcome = await rig.downloader(maxBytes: 256 << 10).download(rig.server.url("/huge.png"))
            #expect(outcome == .failed(reason: "larger than 262144 bytes", httpStatus: 200, permanent: true))
            #expect(rig.nothingKept())
            #expect(rig.server.hugeBytesSent < ImageServer.hugeLength / 2, "cut long before the end: \(rig.server.hugeBytesSent) bytes sent")
            try await eventually("the server saw the client go") { rig.server.hugeStoppedEarly }
        }
    }

    @Test("a loopback address, literal or by name, is refused unless allow_private (or allowed by range)")
    func loopbackRefused() async throws {
        let resolver = StubResolver(["cdn.example": ["127.0.0.1"]])
        try await DownloadRig.with(policy: DownloadPolicy(), resolver: resolver) { rig in
            let literal = await rig.downloader().download(rig.server.url("/image.png"))
            #expect(literal == .failed(reason: "refused: 127.0.0.1 is a loopback address (archive.allow_private is off)",
                                       httpStatus: nil, permanent: true))
            let named = await rig.downloader().download("http://cdn.example:\(rig.server.port)/image.png")
            #expect(named == .failed(reason: "refused: 127.0.0.1 is a loopback address (archive.allow_private is off)",
                                     httpStatus: nil, permanent: true))
            #expect(resolver.lookups == ["cdn.example"], "a literal address is not resolved")
            #expect(rig.server.received.isEmpty, "no connection was made")
        }
        try await DownloadRig.with(policy: DownloadPolicy(allowPrivate: true), resolver: resolver) { rig in
            let named = await rig.downloader().download("http://cdn.example:\(rig.server.port)/image.png")
            guard case .archived = named else { Issue.record("\(named)"); return }
            // connected to the vetted address, with the name in Host
            #expect(rig.server.received.map(\.authority) == ["cdn.example:\(rig.server.port)"])
        }
    }

    @Test("a name with an address that refuses connections: the next vetted address is tried")
    func nextAddress() async throws {
        // Nothing listens on ::1 at the server's port (it is bound to 127.0.0.1 only).
        let resolver = StubResolver(["dual.example": ["::1", "127.0.0.1"]])
        try await DownloadRig.with(policy: DownloadPolicy(allowPrivate: true), resolver: resolver) { rig in
            let outcome = await rig.downloader().download("http://dual.example:\(rig.server.port)/image.png")
            guard case .archived = outcome else { Issue.record("\(outcome)"); return }
            #expect(rig.server.received.map(\.authority) == ["dual.example:\(rig.server.port)"])
        }
    }

    @Test("the system resolver: localhost, from /etc/hosts")
    func systemResolver() async throws {
        let policy = DownloadPolicy(allowNetworks: [CIDR("127.0.0.0/8")!, CIDR("::1/128")!])
        try await DownloadRig.with(policy: policy, resolver: SystemResolver()) { rig in
            let outcome = await rig.downloader().download("http://localhost:\(rig.server.port)/image.png")
            guard case .archived = outcome else { Issue.record("\(outcome)"); return }
            #expect(rig.server.received.map(\.authority) == ["localhost:\(rig.server.port)"])
        }
    }

    @Test("a name that does not resolve: failed, worth retrying")
    func unresolvable() async throws {
        try await DownloadRig.with(policy: Self.loopbackOnly, resolver: StubResolver([:])) { rig in
            let outcome = await rig.downloader().download("http://nowhere.example/a.png")
            #expect(outcome == .failed(reason: "cannot resolve nowhere.example: Name or service not known", httpStatus: nil, permanent: false))
        }
    }

    @Test("a redirect to a private address is refused without connecting", arguments: [
        ("http://169.254.169.254/latest/meta-data", "refused: 169.254.169.254 is a link-local address (archive.allow_private is off)"),
        ("http://10.0.0.1/x.png", "refused: 10.0.0.1 is a private address (archive.allow_private is off)"),
        ("http://internal.example/x.png", "refused: 10.1.2.3 is a private address (archive.allow_private is off)"),
        ("http://[::ffff:192.168.0.1]/x.png", "refused: ::ffff:192.168.0.1 is a private address (archive.allow_private is off)"),
        ("ftp://127.0.0.1/x.png", "refused: ftp URLs are not downloaded (only http and https)"),
        // A port past 16 bits would trap in the HTTP client: refused like any other bad hop.
        ("http://127.0.0.1:65536/x.png", "refused: port 65536 is not a TCP port"),
        ("http://public.example:99999/x.png", "refused: port 99999 is not a TCP port"),
    ])
    func redirectRefused(_ target: String, _ reason: String) async throws {
        let resolver = StubResolver(["internal.example": ["10.1.2.3"]])
        try await DownloadRig.with(policy: Self.loopbackOnly, resolver: resolver) { rig in
            let outcome = await rig.downloader().download(rig.server.redirect(to: target))
            #expect(outcome == .failed(reason: reason, httpStatus: 302, permanent: true))
            #expect(rig.server.received.count == 1, "only the first hop reached a server")
        }
    }

    @Test("a relative redirect is followed, and checked like the first hop")
    func relativeRedirect() async throws {
        try await DownloadRig.with(policy: Self.loopbackOnly) { rig in
            let outcome = await rig.downloader().download(rig.server.url("/relative"))
            guard case .archived(let file) = outcome else { Issue.record("\(outcome)"); return }
            #expect(file.bytes == Int64(ImageServer.image.count))
            #expect(rig.server.received.map(\.path) == ["/relative", "/image.png"])
        }
    }

    @Test("too many redirects")
    func redirectLoop() async throws {
        try await DownloadRig.with(policy: Self.loopbackOnly) { rig in
            let outcome = await rig.downloader(maxRedirects: 3).download(rig.server.url("/loop"))
            #expect(outcome == .failed(reason: "too many redirects (more than 3)", httpStatus: 307, permanent: false))
            #expect(rig.server.received.count == 4)
        }
    }

    @Test("URLs refused before anything is sent", arguments: [
        ("ftp://127.0.0.1/x.png", "refused: ftp URLs are not downloaded (only http and https)"),
        ("http://user:secret@127.0.0.1/x.png", "refused: the URL carries credentials"),
        ("not a url", "refused: not an absolute URL"),
    ])
    func refusedURLs(_ url: String, _ reason: String) async throws {
        try await DownloadRig.with(policy: DownloadPolicy(allowPrivate: true)) { rig in
            #expect(await rig.downloader().download(url) == .failed(reason: reason, httpStatus: nil, permanent: true))
            #expect(rig.server.received.isEmpty)
        }
    }

    @Test("a server that stalls after the head: timed out on the daemon's clock, nothing kept")
    func stalled() async throws {
        let (stalled, stalledContinuation) = AsyncStream<Void>.makeStream()
        let manual = ManualClock()
        try await DownloadRig.with(policy: Self.loopbackOnly, stalled: stalledContinuation) { rig in
            let downloader = rig.downloader(timeout: .seconds(30), clock: DaemonClock.following(manual, from: Date()))
            async let outcome = downloader.download(rig.server.url("/stall.png"))
            for await _ in stalled { break }  // the head and the first bytes are out; the rest is held
            await manual.sleepers(atLeast: 1)
            manual.advance(by: .seconds(30))
            #expect(await outcome == .failed(reason: "timed out after 30s", httpStatus: nil, permanent: false))
            #expect(rig.nothingKept())
        }
    }
}

/// A server, an archive and a client for one test, all stopped and removed afterwards.
struct DownloadRig {
    let server: ImageServer
    let directory: ArchiveDirectory
    let client: HTTPClient
    let policy: DownloadPolicy
    let resolver: any HostResolver

    static func with(policy: DownloadPolicy, resolver: any HostResolver = StubResolver([:]),
                     stalled: AsyncStream<Void>.Continuation? = nil, _ body: (DownloadRig) async throws -> Void) async throws {
        let server = await ImageServer.start(stalled: stalled)
        let client = ImageDownloader.makeClient()
        do {
            try await withArchive { directory in
                try await body(DownloadRig(server: server, directory: directory, client: client, policy: policy, resolver: resolver))
            }
        } catch {
            await server.stop()
            try await client.shutdown()
            throw error
        }
        await server.stop()
        try await client.shutdown()
    }

    func downloader(maxBytes: Int = 1 << 20, maxRedirects: Int = 5, timeout: Duration = .seconds(60),
                    clock: DaemonClock = DaemonClock(ManualClock())) -> ImageDownloader {
        ImageDownloader(client: client, policy: policy, resolver: resolver, directory: directory, maxBytes: maxBytes,
                        timeout: timeout, clock: clock, maxRedirects: maxRedirects)
    }

    /// Nothing in tmp/, nothing archived.
    func nothingKept() -> Bool {
        (try? ArchiveDirectoryTests.leftovers(directory))?.isEmpty == true && (try? ArchiveDirectoryTests.archivedFiles(directory))?.isEmpty == true
    }
}
