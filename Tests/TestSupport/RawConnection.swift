import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection to a loopback port driven byte by byte: for what an HTTP client library will not do
/// (hold a connection idle, send half a request, speak HTTP/1.1 details by hand).
public final class RawConnection: Sendable {
    private let descriptor: Int32

    /// Connects to 127.0.0.1:`port`; with `receiveBuffer`, the socket's receive buffer is that small (set before
    /// connecting, so the window the other side sees stays small: a client that stops reading stalls it soon).
    public init(port: Int, receiveBuffer: Int? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket() failed: errno \(errno)") }
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let problem = errno
            Glibc.close(descriptor)
            throw TestSupportError("connect to port \(port) failed: errno \(problem)")
        }
    }

    deinit { Glibc.close(descriptor) }

    public func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw TestSupportError("send failed: errno \(errno)") }
    }

    public enum Reading: Equatable, Sendable {
        /// What arrived before the time was up (maybe nothing).
        case data(String)
        /// The other side closed (or reset) the connection.
        case closed
    }

    /// Reads what arrives within `timeout` of real time (a bound for a test that fails, not a pace): the
    /// bytes once some came and the sender paused, or `.closed`. The waiting happens on a thread of its own, never
    /// on the concurrency pool that the daemon under test needs to answer.
    public func receive(timeout: Duration) async -> Reading {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.blockingReceive(timeout: timeout)) }.start()
        }
    }

    private func blockingReceive(timeout: Duration) -> Reading {
        var received = [UInt8]()
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let left = max(1, Int32((deadline - ContinuousClock.now).components.seconds * 1000
                                   + (deadline - ContinuousClock.now).components.attoseconds / 1_000_000_000_000_000))
            let ready = poll(&poller, 1, received.isEmpty ? left : min(left, 50))
            if ready < 0 { continue }  // interrupted
            if ready == 0 {
                if received.isEmpty { continue }
                break
            }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { return received.isEmpty ? .closed : .data(String(decoding: received, as: UTF8.self)) }
            received += buffer[0..<count]
        }
        return .data(String(decoding: received, as: UTF8.self))
    }
}
