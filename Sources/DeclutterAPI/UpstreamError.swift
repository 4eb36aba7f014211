import Foundation

/// A failed upstream call, classified by what the caller may conclude from it.
public struct UpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The service answered no (4xx, or 503 "temporarily unavailable"): nothing was done, no photo spent.
        case rejected
        /// The service answered with a 5xx other than 503.
        case serverError
        /// No connection could be made: the request surely never reached the service.
        case unreachable
        /// The request may have been sent but no answer came (timeout, reset).
        case transport
        /// A photo-spending call was sent and its outcome cannot be known: record it, never retry blindly.
        case outcomeUnknown
        /// A 2xx answer whose body is not what the contract says.
        case invalidResponse
    }

    public let kind: Kind
    public let httpStatus: Int?
    /// From a `Retry-After` header, when the service sent one.
    public let retryAfter: Duration?
    public let message: String

    public init(_ kind: Kind, httpStatus: Int? = nil, retryAfter: Duration? = nil, message: String) {
        self.kind = kind
        self.httpStatus = httpStatus
        self.retryAfter = retryAfter
        self.message = message
    }

    /// True for 401 and 403: the configured key is not accepted for this user.
    public var isCredentialProblem: Bool { httpStatus == 401 || httpStatus == 403 }

    public var description: String {
        let status = httpStatus.map { "HTTP \($0): " } ?? ""
        return "upstream \(kind.rawValue): \(status)\(message)"
    }

    /// The same failure, seen from a call that spends a photo: anything but a clear refusal or an
    /// unreachable service leaves the outcome unknown.
    func asSpendingCallFailure() -> UpstreamError {
        switch kind {
        case .rejected, .unreachable, .outcomeUnknown: self
        case .serverError, .transport, .invalidResponse:
            UpstreamError(.outcomeUnknown, httpStatus: httpStatus, retryAfter: retryAfter, message: message)
        }
    }
}
