import Foundation

// Each table's columns are declared once, in this folder (`RecordColumns.swift`, `DeliveryColumns.swift`): a record
// writes its values into `ColumnValues` and reads them back from a `ColumnReader`. The two engines only translate:
// `SQLite/RecordRows.swift` and `Postgres/PostgresRows.swift` map each `ColumnKind` to their own types (a date is
// `StoreFormat` text in SQLite and a `timestamptz` in PostgreSQL, say). That mapping is where the engines' values
// differ, and nowhere else; `SchemaParityTests` checks both live schemas against these declarations.

/// How a column holds its values, in terms both engines map to a type of their own.
enum ColumnKind: Sendable, Equatable {
    case integer, text, bool, date, uuid
    /// JSON text: `TEXT` in SQLite, `jsonb` in PostgreSQL.
    case json
    /// A body as received: `TEXT` or `BLOB` in one SQLite column; in PostgreSQL `text`, or `bytea` in the column
    /// named with `_binary` when the body is not text PostgreSQL can hold.
    case body
}

/// One column's value as a record writes it.
enum ColumnValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case bool(Bool)
    case date(Date)
    case uuid(UUID)
    case json(String)
    case body(RawBody)
}

/// A record's columns in order, each with its kind and its value: what one `INSERT` or `UPDATE` writes.
struct ColumnValues: Sendable {
    private(set) var names: [String] = []
    private(set) var kinds: [ColumnKind] = []
    private(set) var values: [ColumnValue] = []

    mutating func set<Value: ColumnStorable>(_ column: String, _ value: Value) {
        append(column, Value.columnKind, value.columnValue)
    }

    /// A JSON column, given as its text.
    mutating func setJSON(_ column: String, _ text: String?) {
        append(column, .json, text.map(ColumnValue.json) ?? .null)
    }

    private mutating func append(_ column: String, _ kind: ColumnKind, _ value: ColumnValue) {
        names.append(column)
        kinds.append(kind)
        values.append(value)
    }

    /// Each column with its kind and value.
    var columns: some Sequence<(name: String, kind: ColumnKind, value: ColumnValue)> {
        names.indices.lazy.map { (names[$0], kinds[$0], values[$0]) }
    }
}

/// One row of either engine, read column by column.
protocol ColumnReader {
    func integer(_ column: String) throws -> Int64?
    func text(_ column: String) throws -> String?
    func bool(_ column: String) throws -> Bool?
    func date(_ column: String) throws -> Date?
    func uuid(_ column: String) throws -> UUID?
    /// A JSON column's text.
    func json(_ column: String) throws -> String?
    func body(_ column: String) throws -> RawBody?
}

extension ColumnReader {
    /// `column`'s value as a `Value`: `row("status")`. A NULL read as a non-optional type is a thrown error.
    func callAsFunction<Value: ColumnStorable>(_ column: String, as type: Value.Type = Value.self) throws -> Value {
        try Value.read(column, from: self)
    }
}

/// A column holding something its type cannot be (NULL where a value must be, a status this binary does not know).
struct ColumnError: Error, CustomStringConvertible {
    let column: String
    let problem: String

    var description: String { "column \(column) \(problem)" }
}

/// A record stored as one row: its columns are declared once, by what it writes and what it reads.
protocol StoredRecord {
    /// Every column it writes, in order: all but an `id` the engine assigns.
    var columnValues: ColumnValues { get }
    /// Reads the columns it writes, and its `id`.
    init(columns row: some ColumnReader) throws
    /// A record whose values nobody reads: the column names and kinds an engine lists in its statements come from it.
    static var blank: Self { get }
}

/// A Swift type a column holds.
protocol ColumnStorable {
    static var columnKind: ColumnKind { get }
    var columnValue: ColumnValue { get }
    /// The value, or nil for NULL.
    static func readIfPresent(_ column: String, from row: some ColumnReader) throws -> Self?
    /// The value; NULL is an error unless `Self` is optional.
    static func read(_ column: String, from row: some ColumnReader) throws -> Self
}

extension ColumnStorable {
    static func read(_ column: String, from row: some ColumnReader) throws -> Self {
        guard let value = try readIfPresent(column, from: row) else { throw ColumnError(column: column, problem: "is NULL") }
        return value
    }
}

extension Optional: ColumnStorable where Wrapped: ColumnStorable {
    static var columnKind: ColumnKind { Wrapped.columnKind }
    var columnValue: ColumnValue { self?.columnValue ?? .null }

    static func readIfPresent(_ column: String, from row: some ColumnReader) throws -> Self? {
        .some(try Wrapped.readIfPresent(column, from: row))
    }

    static func read(_ column: String, from row: some ColumnReader) throws -> Self {
        try Wrapped.readIfPresent(column, from: row)
    }
}

extension Int64: ColumnStorable {
    static var columnKind: ColumnKind { .integer }
    var columnValue: ColumnValue { .integer(self) }
    static func readIfPresent(_ column: String, from row: some ColumnReader) throws -> Self? { try row.integer(column) }
}

extension Int: ColumnStorable {
    static var columnKind: ColumnKind { .integer }
    var columnValue: ColumnValue { .integer(Int64(self)) }
    static func readIfPresent(_ column: String, from row: some ColumnReader) throws -> Self? { try row.integer(column).map(Int.init) }
}

extension String: ColumnStorable {
    static var columnKind: ColumnKind { .text }
    var columnValue: ColumnValue { .text(self) }
    static func readIfPresent(_ column: String, from row: some ColumnReader) throws -> Self? { try row.text(column) }
}

extension Bool: ColumnStorable {
    static var columnKind: ColumnKind { .bool }
    var columnValue: ColumnValue { .bool(self) }
    static func readIfPresent(_ column: String, from row: some ColumnReader) throws -> Self? { try row.bool(column) }
}

extension Date: ColumnStorable {
    static var columnKind: ColumnKind { .date }
    var columnValue: ColumnValue { .date(self) }
    static func readIfPresent(_ column: String, from row: some ColumnReader) throws -> Self? { try row.date(column) }
}

extension UUID: ColumnStorable {
    static var columnKind: ColumnKind { .uuid }
    var columnValue: ColumnValue { .uuid(self) }
    static func readIfPresent(_ column: String, from row: some ColumnReader) throws -> Self? { try row.uuid(column) }
}

extension RawBody: ColumnStorable {
    static var columnKind: ColumnKind { .body }
    var columnValue: ColumnValue { .body(self) }
    static func readIfPresent(_ column: String, from row: some ColumnReader) throws -> Self? { try row.body(column) }
}

/// An enum stored as its raw text; a CHECK on its column admits only the values the type knows.
protocol TextColumn: ColumnStorable, RawRepresentable<String> {}

extension TextColumn {
    static var columnKind: ColumnKind { .text }
    var columnValue: ColumnValue { .text(rawValue) }

    static func readIfPresent(_ column: String, from row: some ColumnReader) throws -> Self? {
        guard let text = try row.text(column) else { return nil }
        guard let value = Self(rawValue: text) else { throw ColumnError(column: column, problem: "holds \(text), which is not a \(Self.self)") }
        return value
    }
}
