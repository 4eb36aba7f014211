import Foundation
import GRDB

// MARK: - Keys and dashboard sessions (PostgresStore+Keys on PostgreSQL)

extension KeyRecord: SQLiteRowIDRecord {}

extension AppDatabase {
    public func createKey(_ key: KeyRecord, at date: Date) async throws -> KeyRecord {
        try await write { db in
            guard try KeyRecord.filter(sql: "name = ?", arguments: [key.name]).fetchCount(db) == 0 else { throw StoreError.keyNameTaken(key.name) }
            let live = try KeyRecord.filter(sql: "revoked_at IS NULL").fetchCount(db)
            guard live < KeyRules.maximumKeys else { throw StoreError.tooManyKeys(limit: KeyRules.maximumKeys) }
            var key = key
            try key.insert(db)
            return key
        }
    }

    public func keys(at date: Date) async throws -> [KeyUsage] {
        try await read { db in
            try KeyRecord.order(sql: "name").fetchAll(db).map { try Self.usage(of: $0, at: date, in: db) }
        }
    }

    public func key(named name: String, at date: Date) async throws -> KeyUsage? {
        try await read { db in try Self.key(named: name, in: db).map { try Self.usage(of: $0, at: date, in: db) } }
    }

    public func key(tokenHash: String, at date: Date) async throws -> KeyRecord? {
        try await read { db in
            try KeyRecord.fetchOne(db, sql: "SELECT * FROM api_keys " + KeySQL.sqlite.keyByToken, arguments: [tokenHash, StoreFormat.timestamp(date)])
        }
    }

    public func revokeKey(named name: String, at date: Date) async throws -> KeyUsage? {
        try await changeKey(named: name, at: date) { $0.revoke(at: date) }
    }

    public func rotateKey(named name: String, tokenHash: String, previousValidUntil: Date, at date: Date) async throws -> KeyUsage? {
        try await changeKey(named: name, at: date, unlessRevoked: true) { $0.rotate(to: tokenHash, previousValidUntil: previousValidUntil, at: date) }
    }

    private func changeKey(named name: String, at date: Date, unlessRevoked: Bool = false,
                           _ change: @escaping @Sendable (inout KeyRecord) -> Void) async throws -> KeyUsage? {
        try await write { db in
            guard var key = try Self.key(named: name, in: db), !(unlessRevoked && key.revokedAt != nil) else { return nil }
            change(&key)
            try key.update(db)
            return try Self.usage(of: key, at: date, in: db)
        }
    }

    public func noteKeyUsed(named name: String, at date: Date) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE api_keys SET last_used_at = ? WHERE name = ?", arguments: [StoreFormat.timestamp(date), name])
        }
    }

    public func createDashboardLink(codeHash: String, for session: DashboardSession, at date: Date) async throws {
        try await write { db in try Self.insertSession(kind: "link", tokenHash: codeHash, session, at: date, in: db) }
    }

    public func openDashboardSession(codeHash: String, sessionHash: String, expiresAt: Date, at date: Date) async throws -> DashboardSession? {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: KeySQL.sqlite.redeemLink, arguments: [codeHash, StoreFormat.timestamp(date)]) else { return nil }
            let session = DashboardSession(keyName: row[0], scopesText: row[1], expiresAt: expiresAt)
            try Self.insertSession(kind: "session", tokenHash: sessionHash, session, at: date, in: db)
            return session
        }
    }

    public func dashboardSession(tokenHash: String, at date: Date) async throws -> DashboardSession? {
        try await read { db in
            try Row.fetchOne(db, sql: KeySQL.sqlite.session, arguments: [tokenHash, StoreFormat.timestamp(date)]).map { row in
                DashboardSession(keyName: row[0], scopesText: row[1], expiresAt: StoreFormat.date(fromTimestamp: row[2]) ?? date)
            }
        }
    }

    public func closeDashboardSession(tokenHash: String) async throws {
        try await write { db in try db.execute(sql: "DELETE FROM dashboard_sessions WHERE token_hash = ?", arguments: [tokenHash]) }
    }

    private static func insertSession(kind: String, tokenHash: String, _ session: DashboardSession, at date: Date, in db: Database) throws {
        try db.execute(sql: KeySQL.sqlite.expiredSessions, arguments: [StoreFormat.timestamp(date)])
        try db.execute(sql: KeySQL.sqlite.oldestSessions)
        try db.execute(sql: KeySQL.insertSession + " VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [tokenHash, kind, session.keyName, KeyScope.text(session.scopes), StoreFormat.timestamp(date),
                                   StoreFormat.timestamp(session.expiresAt)])
    }

    static func key(named name: String, in db: Database) throws -> KeyRecord? {
        try KeyRecord.filter(sql: "name = ?", arguments: [name]).fetchOne(db)
    }

    /// `key` with what it has spent in the window `date` falls in.
    static func usage(of key: KeyRecord, at date: Date, in db: Database) throws -> KeyUsage {
        let window = KeyRules.window(of: key, at: date)
        let used = try Int.fetchOne(db, sql: KeySQL.sqlite.used, arguments: [key.name, StoreFormat.timestamp(window.lowerBound)]) ?? 0
        return KeyUsage(key: key, used: used, window: window)
    }

    /// In the transaction recording a submission, a listing or a retry: throws `budgetExhausted` when `needed` more
    /// photos would take key `name` past its budget. SQLite's one writer makes the count and the write one step.
    static func checkBudget(ofKey name: String?, needed: Int, at date: Date, in db: Database) throws {
        guard let name, let key = try key(named: name, in: db), key.budget != nil else { return }
        try KeyRules.check(key, used: try usage(of: key, at: date, in: db).used, needed: needed, at: date)
    }
}
