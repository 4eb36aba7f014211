import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Turns a host name into the addresses a connection could go to, so each can be checked before connecting.
public protocol HostResolver: Sendable {
    /// Textual IPv4 and IPv6 addresses for `host` (a name, never an address literal); throws when there are none.
    func resolve(host: String, port: Int) async throws -> [String]
}

/// The name could not be resolved; `description` is the reason ("cannot resolve cdn.example: Name or service not
/// known").
public struct ResolutionError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// The system's resolver (`getaddrinfo`: /etc/hosts, then DNS), called on threads of its own because it blocks,
/// sometimes for seconds: a name server that does not answer then holds these, never the thread pool that
/// syncs archived files and serves them. A cancelled caller stops waiting at once; the lookup ends on its own.
public struct SystemResolver: HostResolver {
    /// As many as downloads usually run at once; more lookups wait their turn.
    static let lookups: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    public init() {}

    public func resolve(host: String, port: Int) async throws -> [String] {
        try await BlockingWork.runAbandoningOnCancel(on: Self.lookups) { try Self.lookUp(host: host, port: port) }
    }

    static func lookUp(host: String, port: Int) throws -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            let reason = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            throw ResolutionError("cannot resolve \(host): \(reason)")
        }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var entry = list
        while let current = entry {
            if let text = Self.text(of: current.pointee), !addresses.contains(text) { addresses.append(text) }
            entry = current.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw ResolutionError("cannot resolve \(host): no address") }
        return addresses
    }

    private static func text(of info: addrinfo) -> String? {
        guard let address = info.ai_addr else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written: UnsafePointer<CChar>?
        switch info.ai_family {
        case AF_INET:
            written = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                var raw = v4.pointee.sin_addr
                return inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count))
            }
        case AF_INET6:
            written = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                var raw = v6.pointee.sin6_addr
                return inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
            }
        default:
            return nil
        }
        guard written != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
