import DeclutterAPI
import Foundation
import PostgresNIO

// The records as PostgreSQL's rows hold them: each record's columns come from its one declaration (`Columns/`);
// this file only says how PostgreSQL holds each kind of value (dates as `timestamptz`, UUIDs as `uuid`, JSON as
// `jsonb`, a body as `text` or `bytea`), as `SQLite/RecordRows.swift` does for SQLite. An enum column holds its raw
// text in both; a value its type does not know is a thrown error.

extension GenerationState: PostgresTextEnum {}
extension GenerationKind: PostgresTextEnum {}
extension Resolution: PostgresTextEnum {}
extension EventSource: PostgresTextEnum {}
extension EventOutcome: PostgresTextEnum {}
extension MessageType: PostgresTextEnum {}
extension ImageState: PostgresTextEnum {}
extension UpstreamStatus: PostgresTextEnum {}
extension UploadRole: PostgresTextEnum {}
extension DeliveryStatus: PostgresTextEnum {}

/// An enum stored as its raw text. (Decoded here: postgres-nio's own decoders for raw values and for Codable
/// types would both match these Codable enums.)
protocol PostgresTextEnum: RawRepresentable<String>, PostgresDecodable {}

extension PostgresTextEnum {
    public init<JSONDecoder: PostgresJSONDecoder>(from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
                                                  context: PostgresDecodingContext<JSONDecoder>) throws {
        guard let value = Self(rawValue: try String(from: &buffer, type: type, format: format, context: context)) else {
            throw PostgresDecodingError.Code.failure
        }
        self = value
    }
}

/// One PostgreSQL row read by column name (`Columns.swift` says which): the select lists below name every column a
/// record reads, so none is missing.
struct PostgresColumns: ColumnReader {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    private func value<Value: PostgresDecodable>(_ column: String, as type: Value.Type) throws -> Value? {
        let cell = row[column]
        guard cell.bytes != nil else { return nil }
        return try cell.decode(Value.self)
    }

    func integer(_ column: String) throws -> Int64? { try value(column, as: Int64.self) }
    func text(_ column: String) throws -> String? { try value(column, as: String.self) }
    func bool(_ column: String) throws -> Bool? { try value(column, as: Bool.self) }
    func date(_ column: String) throws -> Date? { try value(column, as: Date.self) }
    func uuid(_ column: String) throws -> UUID? { try value(column, as: UUID.self) }
    /// Selected as text (`PostgresSelect`).
    func json(_ column: String) throws -> String? { try value(column, as: String.self) }

    func body(_ column: String) throws -> RawBody? {
        if let text = try value(column, as: String.self) { return RawBody(Data(text.utf8)) }
        return try value(column + PostgresSelect.binarySuffix, as: ByteBuffer.self).map { RawBody(Data($0.readableBytesView)) }
    }
}

extension StoredRecord {
    /// The record in a row read with its `PostgresSelect` list.
    init(postgres row: PostgresRow) throws {
        try self.init(columns: PostgresColumns(row))
    }

    /// Every column it writes, for an `INSERT`, an `UPDATE` or a batch row.
    var postgresValues: PostgresRowValues { PostgresRowValues(columnValues) }
}

/// The column lists PostgreSQL statements read a record with, from its declaration: a JSON column as text, a body
/// as its two columns.
enum PostgresSelect {
    /// A body that is not text PostgreSQL can hold goes to the column of its name with this suffix, as `bytea`.
    static let binarySuffix = "_binary"

    static func list(of record: some StoredRecord, id: Bool = true) -> String {
        let values = record.columnValues
        let columns = zip(values.names, values.kinds).map { name, kind in
            switch kind {
            case .json: "\(name)::text AS \(name)"
            case .body: "\(name), \(name)\(binarySuffix)"
            default: name
            }
        }
        return ((id ? ["id"] : []) + columns).joined(separator: ", ")
    }
}

extension GenerationRecord { static let postgresColumns = PostgresSelect.list(of: blank) }
extension EventRecord { static let postgresColumns = PostgresSelect.list(of: blank) }
extension MessageRecord { static let postgresColumns = PostgresSelect.list(of: blank) }
extension ImageRecord { static let postgresColumns = PostgresSelect.list(of: blank) }
extension ProjectRecord { static let postgresColumns = PostgresSelect.list(of: blank, id: false) }
extension QuotaRecord { static let postgresColumns = PostgresSelect.list(of: blank) }
extension UploadRecord { static let postgresColumns = PostgresSelect.list(of: blank) }
extension EndpointRecord { static let postgresColumns = PostgresSelect.list(of: blank) }
extension DeliveryRecord { static let postgresColumns = PostgresSelect.list(of: blank) }
extension DeliveryAttemptRecord { static let postgresColumns = PostgresSelect.list(of: blank) }
extension ListingRecord { static let postgresColumns = PostgresSelect.list(of: blank) }
extension ListingPhotoRecord { static let postgresColumns = PostgresSelect.list(of: blank) }

/// A row's values by column: bound as parameters for one `INSERT` or `UPDATE`, or written as a JSON object for a
/// statement that writes a whole batch (`jsonb_populate_recordset`), so each table's columns are listed once for both.
struct PostgresRowValues {
    private var columns: [String] = []
    private var placeholders: [String] = []
    private var bindings = PostgresBindings()
    /// `"column":value`, for `json`.
    private var fields: [String] = []

    /// A record's values (`Columns.swift`), each bound as PostgreSQL holds its kind.
    init(_ values: ColumnValues) {
        for (name, kind, value) in values.columns {
            switch (kind, value) {
            case (.integer, .integer(let integer)): add(name, integer)
            case (.integer, _): add(name, Int64?.none)
            case (.text, .text(let text)): add(name, text)
            case (.text, _): add(name, String?.none)
            case (.bool, .bool(let bool)): add(name, bool)
            case (.bool, _): add(name, Bool?.none)
            case (.date, .date(let date)): add(name, date)
            case (.date, _): add(name, Date?.none)
            case (.uuid, .uuid(let uuid)): add(name, uuid)
            case (.uuid, _): add(name, UUID?.none)
            case (.json, .json(let text)): addJSON(name, text)
            case (.json, _): addJSON(name, nil)
            case (.body, .body(let body)):
                add(name, body.postgresText)
                add(name + PostgresSelect.binarySuffix, body.postgresBinary)
            case (.body, _):
                add(name, String?.none)
                add(name + PostgresSelect.binarySuffix, ByteBuffer?.none)
            }
        }
    }

    private mutating func add<Value: PostgresDynamicTypeEncodable & PostgresJSONField>(_ column: String, _ value: Value?) {
        append(column, value, cast: nil, json: value?.postgresJSON)
    }

    /// A `jsonb` column, given as JSON text.
    private mutating func addJSON(_ column: String, _ text: String?) {
        append(column, text, cast: "jsonb", json: text)
    }

    private mutating func append(_ column: String, _ value: (some PostgresDynamicTypeEncodable)?, cast: String?, json: String?) {
        bindings.append(value)
        columns.append(column)
        placeholders.append("$\(bindings.count)" + (cast.map { "::" + $0 } ?? ""))
        fields.append(PostgresJSONText.quote(column) + ":" + (json ?? "null"))
    }

    /// `then`: what follows the values (`RETURNING id`, `ON CONFLICT ... DO NOTHING`), or "".
    func insert(into table: String, then: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders.joined(separator: ", "))) \(then)",
                      binds: bindings)
    }

    func update(_ table: String, id: Int64) -> PostgresQuery {
        var bindings = bindings
        bindings.append(id)
        let assignments = zip(columns, placeholders).map { "\($0) = \($1)" }.joined(separator: ", ")
        return PostgresQuery(unsafeSQL: "UPDATE \(table) SET \(assignments) WHERE id = $\(bindings.count)", binds: bindings)
    }

    /// The columns, as a batch statement lists them.
    var columnList: String { columns.joined(separator: ", ") }

    /// `column = source.column, ...`: a batch `UPDATE`'s assignments from the rows named `source`.
    func assignments(from source: String) -> String {
        columns.map { column -> String in "\(column) = \(source).\(column)" }.joined(separator: ", ")
    }

    /// The row as a JSON object, with its `id` when it has one (a batch `UPDATE` matches rows by it).
    func json(id: Int64? = nil) -> String {
        "{" + ((id.map { ["\"id\":\($0)"] } ?? []) + fields).joined(separator: ",") + "}"
    }
}

extension RawBody {
    /// PostgreSQL's `text` cannot hold NUL: such a body, like one that is not UTF-8, goes to the binary column.
    var postgresText: String? {
        guard !bytes.contains(0) else { return nil }
        return text
    }

    var postgresBinary: ByteBuffer? {
        postgresText == nil ? ByteBuffer(bytes: bytes) : nil
    }
}
