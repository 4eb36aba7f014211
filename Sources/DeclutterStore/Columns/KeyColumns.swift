import Foundation

// The columns of local API keys: declared once for both engines (`Columns.swift`).

extension BudgetPeriod: TextColumn {}

extension KeyRecord: StoredRecord {
    public static let databaseTableName = "api_keys"
    static let blank = KeyRecord(name: "", scopes: [], tokenHash: "", budget: nil, createdAt: .distantPast)

    var columnValues: ColumnValues {
        var row = ColumnValues()
        row.set("name", name)
        row.set("scopes", KeyScope.text(scopes))
        row.set("token_hash", tokenHash)
        row.set("previous_token_hash", previousTokenHash)
        row.set("previous_valid_until", previousValidUntil)
        row.set("budget_limit", budget?.limit)
        row.set("budget_period", budget?.period)
        row.set("created_at", createdAt)
        row.set("updated_at", updatedAt)
        row.set("last_used_at", lastUsedAt)
        row.set("revoked_at", revokedAt)
        return row
    }

    init(columns row: some ColumnReader) throws {
        let scopesText: String = try row("scopes")
        guard let scopes = KeyScope.parse(scopesText) else { throw ColumnError(column: "scopes", problem: "holds \(scopesText), which are not scopes") }
        let limit: Int? = try row("budget_limit")
        let period: BudgetPeriod? = try row("budget_period")
        self.init(name: try row("name"), scopes: scopes, tokenHash: try row("token_hash"),
                  budget: limit.flatMap { limit in period.map { KeyBudget(limit: limit, period: $0) } }, createdAt: try row("created_at"))
        id = try row("id")
        previousTokenHash = try row("previous_token_hash")
        previousValidUntil = try row("previous_valid_until")
        updatedAt = try row("updated_at")
        lastUsedAt = try row("last_used_at")
        revokedAt = try row("revoked_at")
    }
}
