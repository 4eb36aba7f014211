import Foundation
import GRDB

// The records as SQLite's rows hold them: each record's columns come from its one declaration (`Columns/`); this
// file only says how SQLite holds each kind of value. Dates and UUIDs are `StoreFormat` text, JSON is text, a
// boolean is 0 or 1, a body is TEXT when it is UTF-8 (readable in `sqlite3`) and a BLOB otherwise. No Codable on
// this path: a value a column cannot hold is a thrown error, not a crash.

/// A record with its own row in SQLite, read and written through its column declaration.
protocol SQLiteRecord: StoredRecord, FetchableRecord, MutablePersistableRecord {}

extension SQLiteRecord {
    public init(row: Row) throws {
        try self.init(columns: SQLiteColumns(row: row))
    }

    public func encode(to container: inout PersistenceContainer) {
        writeColumns(to: &container)
    }

    func writeColumns(to container: inout PersistenceContainer) {
        let values = columnValues
        for index in values.names.indices {
            container[values.names[index]] = values.values[index].sqlite
        }
    }
}

/// One whose `id` SQLite assigns (`INTEGER PRIMARY KEY`).
protocol SQLiteRowIDRecord: SQLiteRecord {
    var id: Int64? { get set }
}

extension SQLiteRowIDRecord {
    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        writeColumns(to: &container)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

extension GenerationRecord: SQLiteRowIDRecord {}
extension EventRecord: SQLiteRowIDRecord {}
extension MessageRecord: SQLiteRowIDRecord {}
extension ImageRecord: SQLiteRowIDRecord {}
extension QuotaRecord: SQLiteRowIDRecord {}
extension EndpointRecord: SQLiteRowIDRecord {}
extension DeliveryRecord: SQLiteRowIDRecord {}
extension DeliveryAttemptRecord: SQLiteRowIDRecord {}
extension UploadRecord: SQLiteRowIDRecord {}
extension ListingRecord: SQLiteRowIDRecord {}
extension ListingPhotoRecord: SQLiteRowIDRecord {}
extension ProjectRecord: SQLiteRecord {}
extension IdempotencyRecord: SQLiteRecord {}

extension ColumnValue {
    /// The value as SQLite holds it.
    var sqlite: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let value): value.databaseValue
        case .text(let value), .json(let value): value.databaseValue
        case .bool(let value): value.databaseValue
        case .date(let value): StoreFormat.timestamp(value).databaseValue
        case .uuid(let value): StoreFormat.uuid(value).databaseValue
        case .body(let value): value.databaseValue
        }
    }
}

/// One SQLite row read by column name. A column the row lacks reads as NULL.
struct SQLiteColumns: ColumnReader {
    let row: Row

    private func value<Value: DatabaseValueConvertible>(_ column: String, as type: Value.Type) throws -> Value? {
        let stored: DatabaseValue = row[column] ?? .null
        guard !stored.isNull else { return nil }
        guard let value = Value.fromDatabaseValue(stored) else { throw ColumnError(column: column, problem: "holds \(stored), not a \(Value.self)") }
        return value
    }

    func integer(_ column: String) throws -> Int64? { try value(column, as: Int64.self) }
    func text(_ column: String) throws -> String? { try value(column, as: String.self) }
    func bool(_ column: String) throws -> Bool? { try value(column, as: Bool.self) }
    func json(_ column: String) throws -> String? { try value(column, as: String.self) }

    func date(_ column: String) throws -> Date? {
        try text(column).map { text in
            guard let date = StoreFormat.date(fromTimestamp: text) else { throw ColumnError(column: column, problem: "holds \(text), not a timestamp") }
            return date
        }
    }

    func uuid(_ column: String) throws -> UUID? {
        try text(column).map { text in
            guard let uuid = UUID(uuidString: text) else { throw ColumnError(column: column, problem: "holds \(text), not a UUID") }
            return uuid
        }
    }

    func body(_ column: String) throws -> RawBody? {
        try value(column, as: RawBody.self)
    }
}

extension EventRecord {
    /// Inserts the row with a statement compiled once per connection (GRDB's `insert` builds its SQL at each
    /// call): an event is the writer's most frequent insert, one with nearly every callback.
    mutating func insertRow(_ db: Database) throws {
        try db.cachedStatement(sql: Self.insertSQL).execute(arguments: StatementArguments(columnValues.values.map(\.sqlite)))
        id = db.lastInsertedRowID
    }

    private static let insertSQL = "INSERT INTO events (\(blank.columnValues.names.joined(separator: ", "))) VALUES ("
        + Array(repeating: "?", count: blank.columnValues.names.count).joined(separator: ", ") + ")"
}
