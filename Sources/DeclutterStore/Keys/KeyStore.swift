import DeclutterAPI
import Foundation

/// Local API keys and dashboard sessions (docs/keys.md). A key's photo budget is checked and charged by
/// `beginSubmission`, `createListing` and `retryListing`, in the transactions that record them.
public protocol KeyStore: Sendable {
    /// Inserts a key; throws `keyNameTaken`, or `tooManyKeys` when `KeyRules.maximumKeys` are not revoked.
    func createKey(_ key: KeyRecord, at date: Date) async throws -> KeyRecord
    /// Every key, revoked ones too, by name, with what each has spent in its current window.
    func keys(at date: Date) async throws -> [KeyUsage]
    func key(named name: String, at date: Date) async throws -> KeyUsage?
    /// The key a token's hash opens at `date`: its current token, or the one a rotation replaced while its grace lasts;
    /// never a revoked key.
    func key(tokenHash: String, at date: Date) async throws -> KeyRecord?
    /// Revokes a key at once (its dashboard sessions end with it): the key as it now stands, with its usage; nil when
    /// there is no such key.
    func revokeKey(named name: String, at date: Date) async throws -> KeyUsage?
    /// Gives a key a new token; the old one works until `previousValidUntil`. The key as it now stands, with its usage;
    /// nil when there is no such key (or it is revoked).
    func rotateKey(named name: String, tokenHash: String, previousValidUntil: Date, at date: Date) async throws -> KeyUsage?
    /// Records that a key was used (`last_used_at`); the daemon writes it at most once a minute per key.
    func noteKeyUsed(named name: String, at date: Date) async throws
    /// Keeps a one-time dashboard link (its code's hash) until `session.expiresAt`; expired links and sessions go first.
    /// Never refused for room: at most `KeyRules.maximumSessions` links and sessions are kept, the oldest making way.
    func createDashboardLink(codeHash: String, for session: DashboardSession, at date: Date) async throws
    /// Uses up a link (once, before it expires) and opens the session it leads to, until `expiresAt`; nil when the
    /// link is unknown, used or expired.
    func openDashboardSession(codeHash: String, sessionHash: String, expiresAt: Date, at date: Date) async throws -> DashboardSession?
    /// The session a cookie's hash names, while it lasts and its key is not revoked.
    func dashboardSession(tokenHash: String, at date: Date) async throws -> DashboardSession?
    func closeDashboardSession(tokenHash: String) async throws
}

extension KeyRules {
    /// The most dashboard links and sessions kept at once: the oldest go when more are made.
    public static let maximumSessions = 1000
}

extension KeyStore {
    /// Makes a key with a new token: the token is returned once, only its hash is kept. The caller checks the name
    /// (`KeyRules.isValidName`). Throws `keyNameTaken` or `tooManyKeys`.
    public func issueKey(name: String, scopes: Set<KeyScope>, budget: KeyBudget?, at date: Date) async throws -> (key: KeyRecord, token: String) {
        let token = KeyRules.newToken()
        let key = try await createKey(KeyRecord(name: name, scopes: scopes, tokenHash: KeyRules.hash(token), budget: budget, createdAt: date), at: date)
        return (key, token)
    }

    /// Gives a key a new token, returned once; the old one keeps working for `grace`. Nil when there is no such key,
    /// or it is revoked.
    public func reissueToken(name: String, grace: Duration, at date: Date) async throws -> (key: KeyUsage, token: String)? {
        let token = KeyRules.newToken()
        let graceEnd = date.addingTimeInterval(grace.seconds)
        guard let key = try await rotateKey(named: name, tokenHash: KeyRules.hash(token), previousValidUntil: graceEnd, at: date) else { return nil }
        return (key, token)
    }
}

extension KeyRules {
    /// How long a rotated token keeps working when nothing else is said, and the longest it may.
    public static let defaultGrace: Duration = .seconds(24 * 3600)
    public static let maximumGrace: Duration = .seconds(30 * 24 * 3600)
}

extension KeyStore {
    /// Refuses early, without writing, when key `name` has no room for `needed` more photos: before an upload is read
    /// and kept. The transaction that records the submission checks again, and that check is the one that holds.
    public func refuseSpentBudget(ofKey name: String?, needed: Int, at date: Date) async throws {
        guard let name, let usage = try await key(named: name, at: date) else { return }
        try KeyRules.check(usage.key, used: usage.used, needed: needed, at: date)
    }
}
