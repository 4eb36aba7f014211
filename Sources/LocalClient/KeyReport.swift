import DeclutterWire

extension ClientReport {
    /// One row per key: name, scopes, budget, used, left, resets, last used, state. Never a token.
    public static func keys(_ keys: [KeyView]) -> String {
        TableRenderer.render(
            header: ["NAME", "SCOPES", "BUDGET", "USED", "LEFT", "RESETS", "LAST USED", "STATE"],
            rows: keys.map { key in
                [key.name, key.scopes.joined(separator: ","), key.budget ?? "-", String(key.used), key.left.map(String.init) ?? "-",
                 time(key.resetsAt), key.lastUsedAt.map(time) ?? "never", key.state(time: time)]
            },
            alignments: [.left, .left, .left, .right, .right, .left, .left, .left])
    }
}
