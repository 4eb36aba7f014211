import DeclutterWire
import Foundation

// The client reads the very types the daemon writes (APIViews.swift), under the names it uses.
public typealias LocalGeneration = GenerationView
public typealias LocalGenerationPage = GenerationListView
public typealias LocalEvent = EventView
public typealias LocalEventList = EventListView
public typealias LocalStats = StatsView

extension GenerationView {
    /// Still waiting for an upstream answer (an unknown status counts as settled: nothing to wait for).
    public var isPending: Bool { GenerationState(rawValue: status)?.isPending ?? false }

    /// Ended without images: FAILED, REJECTED or LOST.
    public var endedUnsuccessfully: Bool { GenerationState(rawValue: status)?.endedWithoutResult ?? false }
}

/// An answer: the decoded value, and the body exactly as the daemon sent it (for `--json`).
public struct LocalReply<Value: Sendable>: Sendable {
    public let value: Value
    public let body: Data
    public let httpStatus: Int
    /// `Idempotent-Replayed: true`: an earlier submission with the same key was answered again.
    public let replayed: Bool
}

/// The filters of `GET /v1/generations`.
public struct GenerationQuery: Sendable, Equatable {
    public var status: String?
    public var projectID: String?
    /// An ISO-8601 UTC time.
    public var since: String?
    public var limit: Int?
    public var cursor: String?

    public init(status: String? = nil, projectID: String? = nil, since: String? = nil, limit: Int? = nil, cursor: String? = nil) {
        self.status = status
        self.projectID = projectID
        self.since = since
        self.limit = limit
        self.cursor = cursor
    }

    var queryItems: [(String, String)] {
        [("status", status), ("project_id", projectID), ("since", since), ("limit", limit.map(String.init)), ("cursor", cursor)]
            .compactMap { name, value in value.map { (name, $0) } }
    }

    /// `--since`: an RFC 3339 time as is (what the daemon's `?since=` takes), or an age such as `90s`, `15m`, `2h`, `3d` counted back from `now`.
    public static func sinceTimestamp(_ text: String, now: Date) -> String? {
        SinceText.timestamp(text, now: now)
    }
}
