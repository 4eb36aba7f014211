/// Rows of text → aligned columns, for people. Pure: no terminal, no I/O.
public enum TableRenderer {
    public enum Alignment: Sendable {
        case left, right
    }

    /// Each column as wide as its widest cell, columns separated by `gap`, no trailing spaces, lines
    /// joined by `\n` (no final newline). Short rows are padded with empty cells; an empty table with
    /// a header is the header alone; with neither, the empty string.
    public static func render(header: [String]? = nil, rows: [[String]], alignments: [Alignment] = [], gap: String = "  ") -> String {
        let lines = (header.map { [$0] } ?? []) + rows
        let columns = lines.map(\.count).max() ?? 0
        guard columns > 0 else { return "" }
        let widths = (0..<columns).map { column in lines.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return lines.map { line in
            let cells = (0..<columns).map { column in
                let cell = column < line.count ? line[column] : ""
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                let alignment = column < alignments.count ? alignments[column] : .left
                return alignment == .right ? padding + cell : cell + padding
            }
            return String(cells.joined(separator: gap).reversed().drop(while: { $0 == " " }).reversed())
        }.joined(separator: "\n")
    }

    /// Two columns, keys left and values left: `key   value`.
    public static func keyValue(_ pairs: [(String, String)]) -> String {
        render(rows: pairs.map { [$0.0, $0.1] })
    }
}
