@testable import DeclutterDaemon
import DeclutterStore
import Foundation
import LocalClient
import TestSupport

/// `GET /v1/events` on a connection of its own, read by hand: the status, then the events and keep-alive
/// comments as they arrive, and whether the response ended (its last chunk) or the connection closed.
final class RawEventStream {
    let connection: RawConnection
    private(set) var status: Int?
    private(set) var headers: [String: String] = [:]
    private(set) var events: [LocalStreamEvent] = []
    /// The response body, de-chunked.
    private(set) var body = ""
    /// The response ended with its last (empty) chunk.
    private(set) var ended = false
    /// The daemon closed the connection.
    private(set) var closed = false
    /// Bytes received in all.
    private(set) var received = 0

    private var pending: [UInt8] = []
    private var parser = EventStreamParser()

    init(port: Int, _ pathAndQuery: String = "/v1/events", headers: [String: String] = [:], receiveBuffer: Int? = nil) throws {
        connection = try RawConnection(port: port, receiveBuffer: receiveBuffer)
        let lines = ["GET \(pathAndQuery) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Accept: text/event-stream"]
            + headers.map { "\($0): \($1)" }
        try connection.send(lines.joined(separator: "\r\n") + "\r\n\r\n")
    }

    convenience init(_ harness: Harness, _ pathAndQuery: String = "/v1/events", headers: [String: String] = [:],
                     receiveBuffer: Int? = nil) throws {
        guard let port = URL(string: harness.daemon.localURL)?.port else { throw HarnessError("no local port") }
        try self.init(port: port, pathAndQuery, headers: headers, receiveBuffer: receiveBuffer)
    }

    var keepAlives: Int { body.components(separatedBy: EventStream.keepAliveComment).count - 1 }
    var ids: [Int64] { events.compactMap { $0.id.flatMap { Int64($0) } } }
    /// The last `id:` read, the stream's opening one included.
    var lastEventID: String? { parser.lastEventID }

    /// Reads until `condition` holds or nothing more can come; `timeout` of real time bounds a failing test.
    @discardableResult
    func read(timeout: Duration = .seconds(20), until condition: (RawEventStream) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition(self) {
            guard !ended, !closed, ContinuousClock.now < deadline else { return false }
            switch await connection.receive(timeout: .milliseconds(200)) {
            case .closed: closed = true
            case .data(let text): take(Array(text.utf8))
            }
        }
        return true
    }

    /// Reads the status line and headers.
    func head(timeout: Duration = .seconds(20)) async -> Int? {
        await read(timeout: timeout) { $0.status != nil }
        return status
    }

    /// Reads until the daemon closes the connection (what is left in the socket included).
    func drain(timeout: Duration = .seconds(30)) async {
        await read(timeout: timeout) { $0.closed }
    }

    private func take(_ bytes: [UInt8]) {
        received += bytes.count
        pending += bytes
        if status == nil {
            guard let end = find([13, 10, 13, 10]) else { return }
            let head = String(decoding: pending[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            status = head.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
            for line in head.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            pending.removeFirst(end + 4)
        }
        // Chunks: `<hex size>\r\n<data>\r\n`, the last of size 0.
        while !ended, let lineEnd = find([13, 10]) {
            let sizeText = String(decoding: pending[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText, radix: 16) else { return }
            if size == 0 {
                ended = true
                return
            }
            guard pending.count >= lineEnd + 2 + size + 2 else { return }
            let chunk = Array(pending[(lineEnd + 2)..<(lineEnd + 2 + size)])
            pending.removeFirst(lineEnd + 2 + size + 2)
            body += String(decoding: chunk, as: UTF8.self)
            events += parser.feed(chunk)
        }
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard pending.count >= needle.count else { return nil }
        for index in 0...(pending.count - needle.count) where pending[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }
}

extension Harness {
    /// A generation recorded as SUBMITTING through the store alone (nothing is sent upstream): one
    /// `generation.created` message. `imageURL` sets the size of its body.
    func recordSubmission(imageURL: String = "https://images.example/room.jpg") async throws -> Int64 {
        guard case .new(let record) = try await database.beginSubmission(SubmissionRequest(kind: .generation, imageURL: imageURL, auto: true), at: Date()),
              let row = record.id else { throw HarnessError("no new submission") }
        return row
    }

    /// The messages after `sequence`, oldest first.
    func messages(after sequence: Int64 = 0, generation: Int64? = nil) async throws -> [MessageRecord] {
        try await database.messages(matching: MessageFilter(after: sequence, generation: generation, limit: 100_000))
    }
}
