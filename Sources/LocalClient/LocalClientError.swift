/// Exit codes of the client commands (sysexits.h where one fits):
/// 0 success; 1 failure (an HTTP error other than 404, or a generation that ended FAILED, REJECTED
/// or LOST under `--wait`); 64 usage (ArgumentParser's validation); 66 not found (HTTP 404);
/// 69 daemon unreachable, or no answer in time (after the retries `submit` and `vary` make).
public enum ClientExitCode {
    public static let success: Int32 = 0
    public static let failure: Int32 = 1
    public static let usage: Int32 = 64
    public static let notFound: Int32 = 66
    public static let unreachable: Int32 = 69

    /// The same list, for a command's help.
    public static let help = """
        Exit codes: 0 success; 1 failure (an API error, or a generation that ended FAILED, REJECTED or \
        LOST under --wait); 64 usage; 66 not found; 69 daemon unreachable or no answer in time.
        """
}

/// A client call that went wrong, with the exit code that says how.
public struct LocalClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case usage, notFound, unreachable, failure
    }

    public let kind: Kind
    /// The API's `error.code`, or one of the client's own (`unreachable`, `generation_failed`, …).
    public let code: String
    public let message: String

    public init(_ kind: Kind, code: String, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var exitCode: Int32 {
        switch kind {
        case .usage: ClientExitCode.usage
        case .notFound: ClientExitCode.notFound
        case .unreachable: ClientExitCode.unreachable
        case .failure: ClientExitCode.failure
        }
    }

    /// The code of an `.unreachable` error that came after the request may have reached the daemon (a timeout
    /// waiting for the answer, a dropped connection), as opposed to `unreachable` (nothing was sent).
    public static let noAnswer = "no_answer"

    /// `<message> (<code>)`: the line printed after `declutterd: `.
    public var description: String { "\(message) (\(code))" }
}
