import Foundation
import PostgresNIO

// MARK: - Keys and dashboard sessions (AppDatabase+Keys on SQLite)

extension KeyRecord { static let postgresColumns = PostgresSelect.list(of: blank) }

extension PostgresStore {
    /// Instances creating keys at once take turns, so the count of keys in use holds across them.
    public func createKey(_ key: KeyRecord, at date: Date) async throws -> KeyRecord {
        try await transaction { tx in
            try await tx.lock("api_keys", "create")
            guard try await tx.value("SELECT count(*) FROM api_keys WHERE name = \(key.name)", as: Int.self) == 0 else {
                throw StoreError.keyNameTaken(key.name)
            }
            let live = try await tx.value("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL", as: Int.self) ?? 0
            guard live < KeyRules.maximumKeys else { throw StoreError.tooManyKeys(limit: KeyRules.maximumKeys) }
            var key = key
            key.id = try await tx.value(key.postgresValues.insert(into: "api_keys", then: "RETURNING id"), as: Int64.self)
            return key
        }
    }

    public func keys(at date: Date) async throws -> [KeyUsage] {
        try await transaction { tx in
            var usages: [KeyUsage] = []
            for key in try await tx.all("SELECT \(unescaped: KeyRecord.postgresColumns) FROM api_keys ORDER BY name", KeyRecord.init(postgres:)) {
                usages.append(try await tx.usage(of: key, at: date))
            }
            return usages
        }
    }

    public func key(named name: String, at date: Date) async throws -> KeyUsage? {
        try await transaction { tx in
            guard let key = try await tx.key(named: name) else { return nil }
            return try await tx.usage(of: key, at: date)
        }
    }

    public func key(tokenHash: String, at date: Date) async throws -> KeyRecord? {
        try await all(KeySQL.postgres.query("SELECT \(KeyRecord.postgresColumns) FROM api_keys " + KeySQL.postgres.keyByToken, tokenHash, date),
                      KeyRecord.init(postgres:)).first
    }

    public func revokeKey(named name: String, at date: Date) async throws -> KeyUsage? {
        try await changeKey(named: name, at: date) { $0.revoke(at: date) }
    }

    public func rotateKey(named name: String, tokenHash: String, previousValidUntil: Date, at date: Date) async throws -> KeyUsage? {
        try await changeKey(named: name, at: date, unlessRevoked: true) { $0.rotate(to: tokenHash, previousValidUntil: previousValidUntil, at: date) }
    }

    private func changeKey(named name: String, at date: Date, unlessRevoked: Bool = false,
                           _ change: @escaping @Sendable (inout KeyRecord) -> Void) async throws -> KeyUsage? {
        try await transaction { tx -> KeyUsage? in
            guard var key = try await tx.key(named: name, lock: true), let id = key.id, !(unlessRevoked && key.revokedAt != nil) else { return nil }
            change(&key)
            try await tx.execute(key.postgresValues.update("api_keys", id: id))
            return try await tx.usage(of: key, at: date)
        }
    }

    public func noteKeyUsed(named name: String, at date: Date) async throws {
        try await transaction { tx in try await tx.execute("UPDATE api_keys SET last_used_at = \(date) WHERE name = \(name)") }
    }

    public func createDashboardLink(codeHash: String, for session: DashboardSession, at date: Date) async throws {
        try await transaction { tx in try await tx.insertSession(kind: "link", tokenHash: codeHash, session, at: date) }
    }

    public func openDashboardSession(codeHash: String, sessionHash: String, expiresAt: Date, at date: Date) async throws -> DashboardSession? {
        try await transaction { tx in
            guard let row = try await tx.all(KeySQL.postgres.query(KeySQL.postgres.redeemLink, codeHash, date), {
                try $0.decode((String?, String).self)
            }).first else { return nil }
            let session = DashboardSession(keyName: row.0, scopesText: row.1, expiresAt: expiresAt)
            try await tx.insertSession(kind: "session", tokenHash: sessionHash, session, at: date)
            return session
        }
    }

    public func dashboardSession(tokenHash: String, at date: Date) async throws -> DashboardSession? {
        try await all(KeySQL.postgres.query(KeySQL.postgres.session, tokenHash, date)) { row in
            let (name, scopes, expiresAt) = try row.decode((String?, String, Date).self)
            return DashboardSession(keyName: name, scopesText: scopes, expiresAt: expiresAt)
        }.first
    }

    public func closeDashboardSession(tokenHash: String) async throws {
        try await transaction { tx in try await tx.execute("DELETE FROM dashboard_sessions WHERE token_hash = \(tokenHash)") }
    }
}

extension PostgresTransaction {
    func key(named name: String, lock: Bool = false) async throws -> KeyRecord? {
        try await all("""
            SELECT \(unescaped: KeyRecord.postgresColumns) FROM api_keys WHERE name = \(name) \(unescaped: lock ? "FOR UPDATE" : "")
            """, KeyRecord.init(postgres:)).first
    }

    /// `key` with what it has spent in the window `date` falls in.
    func usage(of key: KeyRecord, at date: Date) async throws -> KeyUsage {
        let window = KeyRules.window(of: key, at: date)
        let used = try await value(KeySQL.postgres.query(KeySQL.postgres.used, key.name, window.lowerBound), as: Int.self) ?? 0
        return KeyUsage(key: key, used: used, window: window)
    }

    /// In the transaction recording a submission, a listing or a retry: throws `budgetExhausted` when `needed` more
    /// photos would take key `name` past its budget. Transactions charging one key take turns (an advisory lock held
    /// to their end), so each counts what the others committed, on every instance: the budget is never overspent.
    /// A key's budget is set when it is made and never changes, so a key without one takes no lock.
    func checkBudget(ofKey name: String?, needed: Int, at date: Date) async throws {
        guard let name, let key = try await key(named: name), key.budget != nil else { return }
        try await lock("api_keys", name)
        try KeyRules.check(key, used: try await usage(of: key, at: date).used, needed: needed, at: date)
    }

    func insertSession(kind: String, tokenHash: String, _ session: DashboardSession, at date: Date) async throws {
        try await execute(KeySQL.postgres.query(KeySQL.postgres.expiredSessions, date))
        try await execute(PostgresQuery(unsafeSQL: KeySQL.postgres.oldestSessions))
        try await execute("""
            \(unescaped: KeySQL.insertSession) VALUES (\(tokenHash), \(kind), \(session.keyName), \(KeyScope.text(session.scopes)), \(date), \(session.expiresAt))
            """)
    }
}

extension KeySQL {
    /// `sql` with `values` bound to its `$1`, `$2`, ...
    func query(_ sql: String, _ values: any PostgresThrowingDynamicTypeEncodable...) throws -> PostgresQuery {
        var bindings = PostgresBindings()
        for value in values { try bindings.append(value) }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
