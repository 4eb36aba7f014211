import Foundation

/// A local API key: a row of `api_keys` (its columns: `Columns/KeyColumns.swift`). Only its token's SHA-256 is kept.
public struct KeyRecord: Sendable, Equatable {
    public var id: Int64?
    /// Unique, never reused (a revoked key keeps its name): what the generations it launched record.
    public var name: String
    public var scopes: Set<KeyScope>
    public var tokenHash: String
    /// The token a rotation replaced, and until when it still works.
    public var previousTokenHash: String?
    public var previousValidUntil: Date?
    public var budget: KeyBudget?
    public var createdAt: Date
    public var updatedAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(name: String, scopes: Set<KeyScope>, tokenHash: String, budget: KeyBudget?, createdAt: Date) {
        self.name = name
        self.scopes = scopes
        self.tokenHash = tokenHash
        self.budget = budget
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    /// A new token takes over; the one it replaces works until `previousValidUntil` (now or earlier: not at all).
    mutating func rotate(to tokenHash: String, previousValidUntil: Date, at date: Date) {
        previousTokenHash = previousValidUntil > date ? self.tokenHash : nil
        self.previousValidUntil = previousValidUntil > date ? previousValidUntil : nil
        self.tokenHash = tokenHash
        updatedAt = date
    }

    mutating func revoke(at date: Date) {
        revokedAt = revokedAt ?? date
        previousTokenHash = nil
        previousValidUntil = nil
        updatedAt = date
    }
}

/// A key with what it has spent in its current window.
public struct KeyUsage: Sendable, Equatable {
    public var key: KeyRecord
    public var used: Int
    /// The window `used` counts: the budget's, or the current UTC month for a key without one.
    public var window: Range<Date>

    public init(key: KeyRecord, used: Int, window: Range<Date>) {
        self.key = key
        self.used = used
        self.window = window
    }
}

/// Who a dashboard session (or the one-time link that opens it) acts as: a key's name and scopes, or the host's
/// operator (no key: a link asked for over the unix socket).
public struct DashboardSession: Sendable, Equatable {
    public var keyName: String?
    public var scopes: Set<KeyScope>
    public var expiresAt: Date

    public init(keyName: String?, scopes: Set<KeyScope>, expiresAt: Date) {
        self.keyName = keyName
        self.scopes = scopes
        self.expiresAt = expiresAt
    }

    /// As a `dashboard_sessions` row holds it: the scopes as their text.
    init(keyName: String?, scopesText: String, expiresAt: Date) {
        self.init(keyName: keyName, scopes: KeyScope.parse(scopesText) ?? [], expiresAt: expiresAt)
    }
}

/// The rules of keys both engines apply.
public enum KeyRules {
    /// A token: `dcl_` and 43 URL-safe characters (32 random bytes).
    public static let tokenPrefix = "dcl_"

    public static func newToken() -> String {
        tokenPrefix + randomText()
    }

    /// 32 random bytes as URL-safe base64 without padding, as a callback token's: session cookies and login codes.
    public static func randomText() -> String { CallbackToken.random().value }

    /// What the store keeps of a token, a session cookie or a login code: its SHA-256, in hex.
    public static func hash(_ secret: String) -> String { CallbackToken.hash(of: secret) }

    /// 1 to 64 of `a-z 0-9 - _ .`, starting with a letter or digit: it goes in metric labels and URLs as it is.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (1...64).contains(name.utf8.count) else { return false }
        let allowed: (UInt8) -> Bool = { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
        return allowed(first) && name.utf8.allSatisfy { allowed($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
    }

    public static let nameRule = "1 to 64 of a-z, 0-9, '-', '_', '.', starting with a letter or digit"

    /// The most keys that are not revoked: a metric label per key stays bounded.
    public static let maximumKeys = 100

    /// The window a key's usage counts at `date`.
    public static func window(of key: KeyRecord, at date: Date) -> Range<Date> {
        (key.budget?.period ?? .month).window(containing: date)
    }

    /// Throws `budgetExhausted` when `needed` more photos would take `key` past its budget.
    static func check(_ key: KeyRecord, used: Int, needed: Int, at date: Date) throws {
        guard let budget = key.budget, used + needed > budget.limit else { return }
        throw StoreError.budgetExhausted(key: key.name, budget: budget, used: used, resetsAt: budget.period.window(containing: date).upperBound)
    }
}
