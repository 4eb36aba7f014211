import DeclutterAPI
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// One open transaction and the row operations the write rules are made of: what `SQLite/Outbox+SQLite.swift` and
/// the record extensions do on SQLite, here with PostgreSQL's SQL. The rules themselves (the transition, the
/// reschedule, what a message says) are the shared ones.
struct PostgresTransaction {
    let connection: PostgresConnection
    let logger: Logger
    /// Set once the transaction writes to the outbox (messages, deliveries, endpoints).
    let outbox: OutboxChange

    /// Runs `query` to its end (`PostgresConnection.run`).
    func execute(_ query: PostgresQuery) async throws {
        try await connection.run(query, logger: logger)
    }

    func all<T>(_ query: PostgresQuery, _ make: (PostgresRow) throws -> T) async throws -> [T] {
        try await connection.all(query, logger: logger, make)
    }

    func value<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type = T.self) async throws -> T? {
        try await connection.value(query, as: type, logger: logger)
    }

    /// Holds until the transaction ends: writers of the same `key` (an Idempotency-Key, say) take turns.
    func lock(_ space: String, _ key: String) async throws {
        // Keyed by schema too: advisory locks belong to the whole database, shared by every schema in it.
        try await execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':' || \(space)), hashtext(\(key)))")
    }

    // MARK: Generations

    /// The generation `locator` names, locked until the transaction ends (`FOR UPDATE`): two instances applying
    /// reports to one generation take turns, each seeing what the other wrote.
    func generation(_ locator: GenerationLocator, forUpdate: Bool = true) async throws -> GenerationRecord? {
        try await all(PostgresStore.generationQuery(locator, suffix: forUpdate ? " FOR UPDATE" : ""), GenerationRecord.init(postgres:)).first
    }

    func insert(_ generation: inout GenerationRecord) async throws {
        generation.id = try await all(generation.postgresValues.insert(into: "generations", then: "RETURNING id")) { try $0.decode(Int64.self) }.first
    }

    func update(_ generation: GenerationRecord) async throws {
        try await execute(generation.postgresValues.update("generations", id: try generation.requireID()))
    }

    /// `GenerationRecord.insertAnnounced` on PostgreSQL: the row, its uploads, its `generation.created` message.
    func insertAnnounced(_ generation: inout GenerationRecord, with uploads: [UploadedInput] = [], at date: Date) async throws {
        generation.version = 1
        try await insert(&generation)
        for input in uploads {
            let upload = UploadRecord(generation: try generation.requireID(), role: input.role, tokenHash: input.tokenHash, file: input.file, createdAt: date)
            try await execute(upload.postgresValues.insert(into: "uploads", then: ""))
        }
        try await publish(.generationCreated, about: generation, at: date)
    }

    func ensureProject(_ id: UUID, at date: Date) async throws {
        try await execute("""
            INSERT INTO projects (id, created_at, updated_at, variations_count) VALUES (\(id), \(date), \(date), 0)
            ON CONFLICT (id) DO NOTHING
            """)
    }

    func raiseVariations(of id: UUID, to count: Int, at date: Date) async throws {
        try await execute("UPDATE projects SET variations_count = greatest(variations_count, \(count)), updated_at = \(date) WHERE id = \(id)")
    }

    // MARK: The outbox

    /// `Outbox.publish` on PostgreSQL: a message about `generation`, and a delivery for each endpoint taking it.
    func publish(_ type: MessageType, about generation: GenerationRecord, at date: Date) async throws {
        var files: GenerationFiles?
        if let row = generation.id { files = try await self.files(of: [row])[row] ?? GenerationFiles() }
        try await insertMessages([Outbox.message(type, about: generation, files: files, at: date)])
    }


    // MARK: Files
}

/// Whether a transaction changed what the outbox's readers read (the delivery worker, event streams, `?wait=` on
/// other instances): only such a commit wakes them.
final class OutboxChange: Sendable {
    private let flag = Atomic<Bool>(false)

    func note() { flag.store(true, ordering: .releasing) }

    var changed: Bool { flag.load(ordering: .acquiring) }
}
