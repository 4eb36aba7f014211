import Foundation

// Local API keys (docs/keys.md): what a key may do, its photo budget, and how the outside sees one.

/// What a key may do on the local API: `read` (reads and the event stream), `submit` (generations, variations,
/// refresh, track, uploads, listings), `admin` (endpoints, deliveries, redelivery, recovery, keys, dashboard links).
/// Each scope stands alone: `admin` does not include `read`.
public enum KeyScope: String, Codable, Sendable, CaseIterable, Comparable {
    case read, submit, admin

    public static func < (lhs: KeyScope, rhs: KeyScope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// `read,submit` as a set; nil when a name is not a scope or none is given.
    public static func parse(_ text: String) -> Set<KeyScope>? {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let scopes = names.compactMap(KeyScope.init(rawValue:))
        guard !names.isEmpty, scopes.count == names.count else { return nil }
        return Set(scopes)
    }

    /// `read,submit`: the scopes in their documented order, as a key's `scopes` column and `keys list` show them.
    public static func text(_ scopes: Set<KeyScope>) -> String {
        scopes.sorted().map(\.rawValue).joined(separator: ",")
    }
}

/// How long a photo budget lasts before it starts again: a calendar day or month, in UTC.
public enum BudgetPeriod: String, Codable, Sendable, CaseIterable {
    case day, month

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// The window `date` falls in: from its start (inclusive) to the next one's (exclusive).
    public func window(containing date: Date) -> Range<Date> {
        let component: Calendar.Component = self == .day ? .day : .month
        let interval = Self.utc.dateInterval(of: component, for: date)!
        return interval.start..<interval.end
    }
}

/// A key's photo budget: at most `limit` photos per `period`. Written `500/month` or `50/day`.
public struct KeyBudget: Codable, Sendable, Equatable, CustomStringConvertible {
    public let limit: Int
    public let period: BudgetPeriod

    public init(limit: Int, period: BudgetPeriod) {
        self.limit = limit
        self.period = period
    }

    /// `500/month`, `50/day`; nil for anything else (a limit from 1 to 10,000,000).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let limit = Int(parts[0]), (1...10_000_000).contains(limit),
              let period = BudgetPeriod(rawValue: parts[1].lowercased()) else { return nil }
        self.init(limit: limit, period: period)
    }

    public var description: String { "\(limit)/\(period.rawValue)" }

    public static let format = "LIMIT/day or LIMIT/month, LIMIT from 1 to 10000000 (e.g. 500/month)"
}

/// A key as `GET /v1/keys`, `GET /v1/stats` and `keys list` show it: never its token.
public struct KeyView: Codable, Sendable, Equatable {
    public let name: String
    public let scopes: [String]
    /// `500/month`; nil for a key without a budget.
    public let budget: String?
    /// Photos spent in the budget's current window (a refunded or refused generation gives its photo back), listing
    /// photos waiting for their launch included; counted for keys without a budget too, over the current UTC month.
    public let used: Int
    /// What the budget leaves now; nil without a budget.
    public let left: Int?
    /// When the current window ends.
    public let resetsAt: String
    public let createdAt: String
    public let lastUsedAt: String?
    public let revokedAt: String?
    /// Until when the token a rotation replaced still works; nil when none does.
    public let previousTokenValidUntil: String?

    enum CodingKeys: String, CodingKey {
        case name, scopes, budget, used, left
        case resetsAt = "resets_at", createdAt = "created_at", lastUsedAt = "last_used_at", revokedAt = "revoked_at"
        case previousTokenValidUntil = "previous_token_valid_until"
    }

    package init(name: String, scopes: [String], budget: String?, used: Int, left: Int?, resetsAt: String, createdAt: String,
                 lastUsedAt: String?, revokedAt: String?, previousTokenValidUntil: String?) {
        self.name = name
        self.scopes = scopes
        self.budget = budget
        self.used = used
        self.left = left
        self.resetsAt = resetsAt
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
        self.previousTokenValidUntil = previousTokenValidUntil
    }
}

extension KeyView {
    /// `active`, `revoked`, or `active, old token until …` while a rotation's grace lasts (the time as `time` writes
    /// it): what `keys list` and the dashboard's keys page show.
    public func state(time: (String) -> String = { $0 }) -> String {
        if revokedAt != nil { return "revoked" }
        return previousTokenValidUntil.map { "active, old token until \(time($0))" } ?? "active"
    }
}

/// A key's token, shown once: when it is made, and when it is rotated.
public struct KeyTokenView: Codable, Sendable, Equatable {
    public let key: KeyView
    public let token: String

    package init(key: KeyView, token: String) {
        self.key = key
        self.token = token
    }
}

/// `GET /v1/keys`.
public struct KeyListView: Codable, Sendable, Equatable {
    public let keys: [KeyView]

    package init(keys: [KeyView]) { self.keys = keys }
}

/// `POST /v1/dashboard-links`: the path of a one-time login link, on the listener that answered.
public struct DashboardLinkView: Codable, Sendable, Equatable {
    public let path: String
    public let expiresAt: String

    enum CodingKeys: String, CodingKey {
        case path
        case expiresAt = "expires_at"
    }

    package init(path: String, expiresAt: String) {
        self.path = path
        self.expiresAt = expiresAt
    }
}
