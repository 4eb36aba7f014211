import DeclutterStore
import Foundation

/// `GET /keys`: each local API key with its scopes and what it has spent. Built from `KeyView`, which has no token
/// field, so no token can reach the page.
struct KeysPage: Sendable {
    struct Row: Sendable {
        let name: String
        let scopes: String
        let budget: String
        let used: Int
        let left: String
        let resetsAt: String
        let lastUsedAt: String
        let state: String
    }

    let frame = PageFrame("keys")
    let rows: [Row]
    let hasRows: Bool

    init(_ keys: [KeyView]) {
        rows = keys.map {
            Row(name: $0.name, scopes: $0.scopes.joined(separator: ", "), budget: $0.budget ?? "none", used: $0.used,
                left: $0.left.map(String.init) ?? "-", resetsAt: $0.resetsAt, lastUsedAt: $0.lastUsedAt ?? "never",
                state: $0.state())
        }
        hasRows = !keys.isEmpty
    }
}
