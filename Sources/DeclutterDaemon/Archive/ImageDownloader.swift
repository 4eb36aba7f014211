import AsyncHTTPClient
import DeclutterAPI
import DeclutterFiles
import DeclutterWire
import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Downloads one result image into the archive, safely: every hop's URL and addresses pass the `DownloadPolicy`
/// before a connection is made, redirects are followed by hand (each hop checked again), the body streams to disk
/// under a size cap without growing memory, and the whole download, all hops included, is bounded by `timeout`
/// on the daemon's clock. Every failure leaves nothing in the archive.
public struct ImageDownloader: Sendable {
    let client: HTTPClient
    let policy: DownloadPolicy
    let resolver: any HostResolver
    let directory: ArchiveDirectory
    let maxBytes: Int
    let timeout: Duration
    let clock: DaemonClock
    let maxRedirects: Int

    static let redirectStatuses: Set<Int> = [301, 302, 303, 307, 308]

    public init(client: HTTPClient, policy: DownloadPolicy, resolver: any HostResolver = SystemResolver(),
                directory: ArchiveDirectory, maxBytes: Int, timeout: Duration, clock: DaemonClock, maxRedirects: Int = 5) {
        self.client = client
        self.policy = policy
        self.resolver = resolver
        self.directory = directory
        self.maxBytes = maxBytes
        self.timeout = timeout
        self.clock = clock
        self.maxRedirects = maxRedirects
    }

    /// A client for downloads only: redirects off (they are followed here, each hop checked), no decompression (the
    /// cap counts the bytes that arrive), a refused connection reported at once, no proxy. It keeps no cookies.
    /// The caller shuts it down.
    public static func makeClient(connectTimeout: Duration = .seconds(10)) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.proxy = nil
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .milliseconds(connectTimeout.milliseconds)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Downloads `url` into the archive. Never throws: a cancelled task gets `.failed("cancelled")`, and in
    /// every failure the temporary file is gone by the time this returns.
    public func download(_ url: String) async -> DownloadOutcome {
        let deadline = clock.now.advanced(by: timeout)
        return await withTaskGroup(of: Race.self) { group in
            group.addTask { .finished(await follow(url)) }
            group.addTask { [clock] in
                do {
                    try await clock.sleep(until: deadline)
                    return .timedOut
                } catch {
                    return .cancelled
                }
            }
            let first = await group.next() ?? .cancelled
            // The loser is cancelled, and waited for as the group ends: a download cut short cleans up first.
            group.cancelAll()
            switch first {
            case .finished(let outcome):
                return outcome
            case .timedOut:
                return .failed(reason: "timed out after \(DurationText.format(timeout))", httpStatus: nil, permanent: false)
            case .cancelled:
                return .failed(reason: "cancelled", httpStatus: nil, permanent: false)
            }
        }
    }

    private enum Race: Sendable {
        case finished(DownloadOutcome)
        case timedOut
        case cancelled
    }

    /// The hops, from `text` through at most `maxRedirects` redirects, to the image or the first failure.
    func follow(_ text: String) async -> DownloadOutcome {
        guard var url = URL(string: text) else {
            return .failed(reason: "refused: not a URL: \(text)", httpStatus: nil, permanent: true)
        }
        var status: Int?
        do {
            for _ in 0...maxRedirects {
                let response = try await send(try await vet(url))
                status = Int(response.status.code)
                if let next = try redirect(from: url, response) {
                    url = next
                    continue  // the redirect's body is dropped unread: the client closes that stream
                }
                guard response.status == .ok else { throw DownloadFailure.passing("HTTP \(response.status.code)") }
                return .archived(try await store(response))
            }
            throw DownloadFailure.passing("too many redirects (more than \(maxRedirects))")
        } catch {
            let failure = describe(error)
            return .failed(reason: failure.reason, httpStatus: status, permanent: failure.permanent)
        }
    }

    /// Checks `url`, resolves its host (an address literal is taken as it is) and checks every address.
    func vet(_ url: URL) async throws -> VettedRequest {
        if let refusal = policy.check(url) { throw DownloadFailure.refused(refusal) }
        guard let host = DownloadPolicy.host(of: url) else { throw DownloadFailure.refused("refused: the URL has no host") }
        let scheme = url.scheme!.lowercased()  // checked by the policy
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        let addresses = CIDR.bytes(of: host) != nil ? [host] : try await resolver.resolve(host: host, port: port)
        if let refusal = policy.check(addresses: addresses) { throw DownloadFailure.refused(refusal) }
        return VettedRequest(url: url, scheme: scheme, host: host, port: port, addresses: addresses)
    }

    /// Sends the hop's request, to each vetted address in turn while connections fail (an IPv6 address first on
    /// a host without IPv6): the deadline of `download` bounds the whole.
    func send(_ vetted: VettedRequest) async throws -> HTTPClientResponse {
        let requests = vetted.requests
        for request in requests.dropLast() {
            do {
                return try await client.execute(request, deadline: .distantFuture)
            } catch where ConnectionFailure.isConnectFailure(error) {
                continue
            }
        }
        return try await client.execute(requests.last!, deadline: .distantFuture)
    }

    /// The next hop's URL when `response` is a redirect (resolved against `url`); nil when it is not one.
    func redirect(from url: URL, _ response: HTTPClientResponse) throws -> URL? {
        let code = Int(response.status.code)
        guard Self.redirectStatuses.contains(code) else { return nil }
        guard let location = response.headers.first(name: "location"), !location.isEmpty else {
            throw DownloadFailure.passing("HTTP \(code) without a Location header")
        }
        guard let next = URL(string: location, relativeTo: url)?.absoluteURL else {
            throw DownloadFailure.passing("HTTP \(code) to an unusable Location: \(location.prefix(200))")
        }
        return next
    }

    /// Streams a 200's body into a new archive file. A declared length over the cap is refused before reading;
    /// the cap holds while streaming either way.
    func store(_ response: HTTPClientResponse) async throws -> ArchivedFile {
        if let declared = response.headers.first(name: "content-length").flatMap(Int.init), declared > maxBytes {
            throw ArchiveRefusal.tooLarge(limit: maxBytes)
        }
        let writer = try directory.makeWriter(maxBytes: maxBytes)
        do {
            for try await chunk in response.body { try writer.write(chunk) }
            return try await writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// The reason stored for `error`, and whether retrying could help.
    func describe(_ error: any Error) -> DownloadFailure {
        switch error {
        case let failure as DownloadFailure:
            return failure
        case let refusal as ArchiveRefusal:
            return DownloadFailure(reason: refusal.description, permanent: refusal.isPermanent)
        case let storage as FileSystemError:
            return .passing(storage.description)
        case let resolution as ResolutionError:
            return .passing(resolution.description)
        case is CancellationError:
            return .passing("cancelled")
        case let error as HTTPClientError where error == .connectTimeout:
            return .passing("cannot connect: timed out")
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            return .passing("the server closed the connection before the whole image arrived")
        case let error as HTTPClientError where error == .cancelled:
            return .passing("cancelled")
        case let error as IOError where error.errnoCode == ECONNREFUSED:
            return .passing("cannot connect: connection refused")
        case let error as NIOConnectionError:
            return .passing(error.connectionErrors.contains { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }
                ? "cannot connect: connection refused" : "cannot connect: \(error)")
        default:
            return .passing("\(error)")
        }
    }
}
