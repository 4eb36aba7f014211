@testable import DeclutterDaemon
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TestSupport
import Testing

@Suite("Serving archived files: Range, ETag and conditional requests, without a server")
struct FileAnswerTests {
    // MARK: - Range

    @Test("bytes=a-b, bytes=a- and bytes=-n are one range, clamped to the file")
    func singleRanges() {
        let cases: [(String, ByteRangeRequest)] = [
            ("bytes=0-99", .partial(0...99)),
            ("bytes=0-0", .partial(0...0)),
            ("bytes=10-", .partial(10...999)),
            ("bytes=-10", .partial(990...999)),
            ("bytes=-5000", .partial(0...999)),
            ("bytes=900-5000", .partial(900...999)),
            ("bytes=999-999", .partial(999...999)),
            ("Bytes=0-1", .partial(0...1)),
            (" bytes=\t2-3 ", .partial(2...3)),
            ("bytes=0-1,", .partial(0...1)),
            ("bytes=, 4-5", .partial(4...5)),
            ("bytes=0-99999999999999999999999", .partial(0...999)),
            ("bytes=-99999999999999999999999", .partial(0...999)),
        ]
        for (header, expected) in cases {
            #expect(ByteRangeRequest.read(header, size: 1000) == expected, "\(header)")
        }
    }

    @Test("a range starting at or past the end, and bytes=-0, are unsatisfiable")
    func unsatisfiable() {
        for header in ["bytes=1000-", "bytes=1000-1000", "bytes=5000-6000", "bytes=-0", "bytes=99999999999999999999999-"] {
            #expect(ByteRangeRequest.read(header, size: 1000) == .unsatisfiable, "\(header)")
        }
        #expect(ByteRangeRequest.read("bytes=0-", size: 0) == .unsatisfiable)
        #expect(ByteRangeRequest.read("bytes=-1", size: 0) == .unsatisfiable)
    }

    @Test("no header, another unit, a malformed spec or several ranges: the whole file")
    func ignored() {
        let headers: [String?] = [
            nil, "", "bytes=", "bytes", "items=0-1", "bytes 0-1", "bytes=a-b", "bytes=5-3", "bytes=-", "bytes=1-2-3",
            "bytes=+1-2", "bytes=0x10-", "bytes=0-1,2-3", "bytes=0-1, -5", "bytes=--1", "bytes=1--2", "=0-1", "bytes=٣-٤",
        ]
        for header in headers {
            #expect(ByteRangeRequest.read(header, size: 1000) == .whole, "\(header ?? "nil")")
        }
    }

    // MARK: - Entity tags

    @Test("If-None-Match lists, *, weak tags; malformed values match nothing")
    func entityTags() {
        let etag = "\"abc\""
        for value in ["\"abc\"", "W/\"abc\"", "*", " * ", "\"x\", \"abc\"", "\"x\",W/\"abc\"", "\"a,b\", \"abc\"", ", \"abc\" ,"] {
            #expect(EntityTagList(value)?.matchesWeakly(etag) == true, "\(value)")
        }
        for value in ["\"abd\"", "abc", "\"abc", "\"x\" \"abc\"", "W/abc", "", "w/\"abc\"", "\"ABC\""] {
            #expect(EntityTagList(value)?.matchesWeakly(etag) != true, "\(value)")
        }
        #expect(EntityTagList("\"abc\"")?.isStrongly(etag) == true)
        for value in ["W/\"abc\"", "*", "\"abc\", \"x\"", "\"x\""] {
            #expect(EntityTagList(value)?.isStrongly(etag) == false, "\(value)")
        }
    }

    // MARK: - The answer

    static let file = ServedFile(path: "/nowhere", sha256: String(repeating: "ab", count: 32), contentType: "image/png", size: 1000)
    static var etag: String { file.etag }

    static func answer(_ fields: [HTTPField.Name: String]) throws -> FileAnswer {
        var request = HTTPFields()
        for (name, value) in fields { request[name] = value }
        return try FileAnswer(file: file, request: request)
    }

    @Test("200: the whole file with ETag, type, length, Accept-Ranges and an immutable Cache-Control")
    func whole() throws {
        let answer = try Self.answer([:])
        #expect(answer.status == .ok && answer.bytes == 0...999)
        #expect(answer.headers[.eTag] == "\"\(String(repeating: "ab", count: 32))\"")
        #expect(answer.headers[.contentType] == "image/png" && answer.headers[.contentLength] == "1000")
        #expect(answer.headers[.acceptRanges] == "bytes")
        #expect(answer.headers[.cacheControl] == "private, max-age=31536000, immutable")
        #expect(answer.headers[.contentRange] == nil)
    }

    @Test("206: the slice, its length and Content-Range")
    func partial() throws {
        let answer = try Self.answer([.range: "bytes=0-99"])
        #expect(answer.status == .partialContent && answer.bytes == 0...99)
        #expect(answer.headers[.contentLength] == "100" && answer.headers[.contentRange] == "bytes 0-99/1000")
        let suffix = try Self.answer([.range: "bytes=-10"])
        #expect(suffix.bytes == 990...999 && suffix.headers[.contentRange] == "bytes 990-999/1000")
    }

    @Test("416: an error carrying Content-Range bytes */size")
    func rangeNotSatisfiable() throws {
        #expect {
            try Self.answer([.range: "bytes=1000-"])
        } throws: { error in
            guard let error = error as? APIError else { return false }
            return error.status == .rangeNotSatisfiable && error.code == "range_not_satisfiable" && error.headers[.contentRange] == "bytes */1000"
        }
    }

    @Test("304 for a matching If-None-Match (before any Range), with the ETag and no body")
    func notModified() throws {
        for value in [Self.etag, "W/\(Self.etag)", "*", "\"other\", \(Self.etag)"] {
            let answer = try Self.answer([.ifNoneMatch: value, .range: "bytes=5000-"])
            #expect(answer.status == .notModified && answer.bytes == nil, "\(value)")
            #expect(answer.headers[.eTag] == Self.etag && answer.headers[.contentLength] == nil && answer.headers[.contentType] == nil)
        }
        #expect(try Self.answer([.ifNoneMatch: "\"other\""]).status == .ok)
    }

    @Test("If-Range: the range only under this very ETag; another one, a weak one or a date gets the whole file")
    func ifRange() throws {
        #expect(try Self.answer([.range: "bytes=0-9", .ifRange: Self.etag]).status == .partialContent)
        for value in ["\"other\"", "W/\(Self.etag)", "Wed, 21 Oct 2015 07:28:00 GMT"] {
            let answer = try Self.answer([.range: "bytes=0-9", .ifRange: value])
            #expect(answer.status == .ok && answer.bytes == 0...999, "\(value)")
        }
        // A range past the end under another version is no error: the whole file is sent.
        #expect(try Self.answer([.range: "bytes=5000-", .ifRange: "\"other\""]).status == .ok)
    }

    @Test("the responder streams exactly the range from disk; a missing or resized file is a 500 file_missing")
    func responderReadsTheFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let path = directory.file("blob")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let file = ServedFile(path: path, sha256: String(repeating: "0", count: 64), contentType: "image/png", size: Int64(bytes.count))
        let logger = Harness.quietLogger()

        for (range, expected) in [(nil, bytes[...]), ("bytes=70000-140000", bytes[70000...140000]), ("bytes=-3", bytes[199_997...])] {
            var request = HTTPFields()
            request[.range] = range
            let response = try await FileResponder.response(serving: file, to: request, logger: logger)
            #expect(response.headers[.contentLength] == String(expected.count))
            #expect(try await Self.collect(response.body) == Array(expected), "\(range ?? "whole")")
        }

        for missing in [ServedFile(path: directory.file("gone"), sha256: file.sha256, contentType: "image/png", size: 1),
                        ServedFile(path: path, sha256: file.sha256, contentType: "image/png", size: 5)] {
            await #expect {
                _ = try await FileResponder.response(serving: missing, to: [:], logger: logger)
            } throws: { error in
                (error as? APIError)?.code == "file_missing" && (error as? APIError)?.status == .internalServerError
            }
        }
    }

    /// A response body's bytes, as a server would write them.
    static func collect(_ body: ResponseBody) async throws -> [UInt8] {
        let collector = Collector()
        try await body.write(collector)
        return collector.bytes
    }

    final class Collector: ResponseBodyWriter {
        var bytes: [UInt8] = []
        func write(_ buffer: ByteBuffer) async throws { bytes += buffer.readableBytesView }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
