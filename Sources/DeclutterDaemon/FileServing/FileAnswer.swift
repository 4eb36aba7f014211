import HTTPTypes

/// How a GET (or HEAD) of a `ServedFile` is answered, decided from the request's headers alone: the status, the
/// headers, and which bytes to send. Pure, so every rule is tested without a server or a file.
struct FileAnswer: Sendable, Equatable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    /// The bytes of the file to send; nil for none (a 304, an empty file).
    let bytes: ClosedRange<Int64>?

    /// A year, the longest `max-age` caches are asked to honour; `immutable`: the bytes behind an ETag never change.
    static let cacheControl = "private, max-age=31536000, immutable"

    /// Throws the 416 (`range_not_satisfiable`, with `Content-Range: bytes */<size>`) for a range past the end.
    init(file: ServedFile, request: HTTPFields) throws(APIError) {
        var headers: HTTPFields = [.eTag: file.etag, .cacheControl: Self.cacheControl, .acceptRanges: "bytes"]
        // If-None-Match comes first (RFC 9110 §13.2.2): a cache that has the bytes needs no range of them.
        if let ifNoneMatch = Self.joined(request, .ifNoneMatch), EntityTagList(ifNoneMatch)?.matchesWeakly(file.etag) == true {
            self.init(status: .notModified, headers: headers, bytes: nil)
            return
        }
        headers[.contentType] = file.contentType
        // A Range under an If-Range naming another version (or a date: there is no Last-Modified) is ignored.
        let rangeApplies = request[.ifRange].map { EntityTagList($0)?.isStrongly(file.etag) == true } ?? true
        switch rangeApplies ? ByteRangeRequest.read(Self.joined(request, .range), size: file.size) : .whole {
        case .whole:
            headers[.contentLength] = String(file.size)
            self.init(status: .ok, headers: headers, bytes: file.size > 0 ? 0...(file.size - 1) : nil)
        case .partial(let range):
            headers[.contentLength] = String(range.count)
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(file.size)"
            self.init(status: .partialContent, headers: headers, bytes: range)
        case .unsatisfiable:
            throw APIError(.rangeNotSatisfiable, code: .rangeNotSatisfiable,
                           message: "the range starts past the end of the file (\(file.size) bytes)",
                           headers: [.contentRange: "bytes */\(file.size)", .acceptRanges: "bytes"])
        }
    }

    private init(status: HTTPResponse.Status, headers: HTTPFields, bytes: ClosedRange<Int64>?) {
        self.status = status
        self.headers = headers
        self.bytes = bytes
    }

    /// Every line of a header as one list (`a, b`), as RFC 9110 §5.3 reads repeated fields; nil when absent.
    private static func joined(_ fields: HTTPFields, _ name: HTTPField.Name) -> String? {
        let values = fields[values: name]
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }
}
