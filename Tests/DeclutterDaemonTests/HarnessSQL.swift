@testable import DeclutterStore
import Foundation
import GRDB
import PostgresNIO

/// A value bound to a `?` of `HarnessSQL`, as each engine holds it.
enum SQLValue: Sendable {
    case integer(Int64)
    case text(String)
    case date(Date)
}

/// Plain SQL on whichever engine a daemon's store runs, for what a test checks that no store read returns (how many
/// rows a table holds, say). The SQL is the part both engines read alike; `?` takes the next value (PostgreSQL's
/// `$n` is written for it).
enum HarnessSQL {
    static func count(_ store: any Store, _ sql: String, _ values: [SQLValue] = []) async throws -> Int {
        try await on(store, sqlite: { db in try Int.fetchOne(db, sql: sql, arguments: arguments(values)) ?? 0 },
                     postgres: { try await $0.value(query(sql, values), as: Int.self) ?? 0 })
    }

    static func strings(_ store: any Store, _ sql: String, _ values: [SQLValue] = []) async throws -> [String] {
        try await on(store, sqlite: { db in try String.fetchAll(db, sql: sql, arguments: arguments(values)) },
                     postgres: { try await $0.all(query(sql, values)) { try $0.decode(String.self) } })
    }

    static func execute(_ store: any Store, _ sql: String, _ values: [SQLValue] = []) async throws {
        switch store {
        case let sqlite as AppDatabase:
            try await sqlite.write { db in try db.execute(sql: sql, arguments: arguments(values)) }
        case let postgres as PostgresStore:
            _ = try await postgres.transaction { tx in try await tx.execute(query(sql, values)) }
        default:
            throw HarnessError("no SQL for \(type(of: store))")
        }
    }

    /// A read on whichever engine `store` is.
    private static func on<T: Sendable>(_ store: any Store, sqlite: @escaping @Sendable (Database) throws -> T,
                                        postgres: (PostgresStore) async throws -> T) async throws -> T {
        switch store {
        case let database as AppDatabase: return try await database.read(sqlite)
        case let database as PostgresStore: return try await postgres(database)
        default: throw HarnessError("no SQL for \(type(of: store))")
        }
    }

    private static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(values.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .integer(let integer): integer
            case .text(let text): text
            case .date(let date): StoreFormat.timestamp(date)
            }
        })
    }

    private static func query(_ sql: String, _ values: [SQLValue]) -> PostgresQuery {
        var bindings = PostgresBindings()
        var text = ""
        var values = values[...]
        for character in sql {
            guard character == "?", let value = values.popFirst() else {
                text.append(character)
                continue
            }
            switch value {
            case .integer(let integer): bindings.append(integer)
            case .text(let string): bindings.append(string)
            case .date(let date): bindings.append(date)
            }
            text += "$\(bindings.count)"
        }
        return PostgresQuery(unsafeSQL: text, binds: bindings)
    }
}
