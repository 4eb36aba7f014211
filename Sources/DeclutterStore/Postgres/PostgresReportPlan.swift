import DeclutterAPI
import Foundation
import PostgresNIO

// A `ReportPlan` carried out on PostgreSQL: one statement per table, whatever the number of reports, each taking
// its rows as one JSON array (`jsonb_populate_recordset`) or as arrays. Rows are locked in id order (the read
// `FOR UPDATE ... ORDER BY id`, before anything is written), so two instances' batches never deadlock on them.

extension PostgresTransaction {
    /// The generations `locators` name, locked until the transaction ends, in id order.
    func generations(_ locators: [GenerationLocator]) async throws -> [GenerationRecord] {
        var rows: [Int64] = []
        var hashes: [String] = []
        var ids: [UUID] = []
        for locator in locators {
            switch locator {
            case .row(let row): rows.append(row)
            case .callbackTokenHash(let hash): hashes.append(hash)
            case .generationID(let id): ids.append(id)
            }
        }
        return try await prepared(LockGenerations.self, { $0.append(rows); $0.append(hashes); $0.append(ids) }, GenerationRecord.init(postgres:))
    }

    /// Unapplied callbacks kept for each of `generations`, counted up to `limit` (an index-only count each).
    func unappliedCallbacks(of generations: [Int64], upTo limit: Int) async throws -> [Int64: Int] {
        guard !generations.isEmpty else { return [:] }
        let counts = try await prepared(KeptCallbacks.self, { $0.append(generations); $0.append(limit) }) { try $0.decode((Int64, Int).self) }
        return Dictionary(counts, uniquingKeysWith: max)
    }

    /// Writes `plan`; returns the ids of its events, in order. `instance`: the poll leases it ends are this one's.
    func carryOut(_ plan: ReportPlan, instance: String) async throws -> [Int64] {
        try await ensure(plan.projectsByID)
        for reading in plan.quotaReadings {
            try await execute("""
                INSERT INTO quota_history (recorded_at, remaining_photos, generation) VALUES (\(reading.recordedAt), \(reading.remainingPhotos), \(reading.generation))
                """)
        }
        let rows = plan.changedRows
        if !rows.isEmpty {
            let json = Self.jsonArray(rows.map { $0.postgresValues.json(id: $0.id) })
            try await prepared(UpdateGenerations.self, { $0.append(json) }) { _ in }
        }
        if !plan.polled.isEmpty {
            try await prepared(ReleasePollLeases.self, { $0.append(Array(plan.polled)); $0.append(instance) }) { _ in }
        }
        if !plan.images.isEmpty {
            let json = Self.jsonArray(plan.images.map { $0.postgresValues.json() })
            try await prepared(InsertImages.self, { $0.append(json) }) { _ in }
        }
        try await publish(plan.announcements, after: plan.notices)
        if !plan.releasedKeys.isEmpty {
            try await prepared(ReleaseIdempotencyKeys.self, { $0.append(plan.releasedKeys.map(\.key)); $0.append(plan.releasedKeys.map(\.generation)) }) { _ in }
        }
        guard !plan.events.isEmpty else { return [] }
        let json = Self.jsonArray(plan.events.map { $0.postgresValues.json() })
        return try await prepared(InsertEvents.self, { $0.append(json) }) { try $0.decode(Int64.self) }
    }

    private func ensure(_ projects: [ReportPlan.ProjectMention]) async throws {
        guard !projects.isEmpty else { return }
        try await execute("""
            INSERT INTO projects (id, created_at, updated_at, variations_count)
            SELECT id, at, at, 0 FROM unnest(\(projects.map(\.id))::uuid[], \(projects.map(\.at))::timestamptz[]) AS p(id, at)
            ON CONFLICT (id) DO NOTHING
            """)
        let raised = projects.filter { $0.variations != nil }
        guard !raised.isEmpty else { return }
        try await execute("""
            UPDATE projects SET variations_count = greatest(variations_count, r.count), updated_at = r.at
            FROM unnest(\(raised.map(\.id))::uuid[], \(raised.map { $0.variations ?? 0 })::bigint[], \(raised.map(\.at))::timestamptz[])
                 AS r(id, count, at)
            WHERE projects.id = r.id
            """)
    }

    /// Each change of state's message, about the generation as it was then, with its files as the plan left them;
    /// a delivery for each enabled endpoint whose filter takes it; and each message's id lock (`PostgresMessageIDs`),
    /// held until the transaction ends.
    private func publish(_ announcements: [ReportPlan.Announcement], after notices: [MessageRecord]) async throws {
        guard !announcements.isEmpty || !notices.isEmpty else { return }
        let files = try await self.files(of: Array(Set(announcements.compactMap(\.generation.id))))
        let messages = try announcements.map { announcement in
            try Outbox.message(announcement.type, about: announcement.generation,
                               files: announcement.generation.id.map { files[$0] ?? GenerationFiles() }, at: announcement.at)
        }
        try await insertMessages(notices + messages)
    }

    /// The messages, in order, with their deliveries and id locks.
    func insertMessages(_ messages: [MessageRecord]) async throws {
        guard !messages.isEmpty else { return }
        outbox.note()
        let json = Self.jsonArray(messages.map { $0.postgresValues.json() })
        try await prepared(InsertMessages.self, { $0.append(json) }) { _ in }
    }

    /// The archived images and uploads of each of `generations`.
    func files(of generations: [Int64]) async throws -> [Int64: GenerationFiles] {
        guard !generations.isEmpty else { return [:] }
        var files: [Int64: GenerationFiles] = [:]
        for image in try await prepared(ImagesOf.self, { $0.append(generations) }, ImageRecord.init(postgres:)) {
            files[image.generation, default: GenerationFiles()].images.append(image)
        }
        for upload in try await prepared(UploadsOf.self, { $0.append(generations) }, UploadRecord.init(postgres:)) {
            files[upload.generation, default: GenerationFiles()].uploads.append(upload)
        }
        return files
    }

    /// Runs `Text`'s statement, prepared on this connection the first time (parsed and planned once, not at each
    /// batch), with the values `bind` appends; each row made into a `Row`, read to the end.
    @discardableResult
    func prepared<Text: BatchStatementText, Row: Sendable>(_ text: Text.Type, _ bind: (inout PostgresBindings) -> Void,
                                                            _ make: @escaping @Sendable (PostgresRow) throws -> Row) async throws -> [Row] {
        var bindings = PostgresBindings()
        bind(&bindings)
        var rows: [Row] = []
        for try await row in try await connection.execute(PreparedBatchStatement<Text, Row>(bindings: bindings, make: make), logger: logger) {
            rows.append(row)
        }
        return rows
    }

    static func jsonArray(_ objects: [String]) -> String {
        "[" + objects.joined(separator: ",") + "]"
    }
}

/// The fixed text of a statement of the batch path.
protocol BatchStatementText {
    static var sql: String { get }
}

/// A batch statement as postgres-nio prepares it: once per connection, under its type's name.
struct PreparedBatchStatement<Text: BatchStatementText, Row: Sendable>: PostgresPreparedStatement {
    /// Short: PostgreSQL cuts a statement's name at 63 bytes, and the default (the full generic type name) would make
    /// every batch statement the same one.
    static var name: String { "declutterd." + String(describing: Text.self) }
    static var sql: String { Text.sql }
    let bindings: PostgresBindings
    let make: @Sendable (PostgresRow) throws -> Row

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> Row { try make(row) }
}

/// The rows each table's batch statements list, from the same declaration a one-row statement uses.
private enum BatchColumns {
    static let generations = GenerationRecord(kind: .generation, status: .starting, createdAt: .distantPast).postgresValues
    static let events = EventRecord(generation: 0, source: .callback, receivedAt: .distantPast, httpStatus: nil, rawBody: nil,
                                    outcome: .applied).postgresValues
    static let images = ImageRecord(generation: 0, position: 0, sourceURL: "", at: .distantPast).postgresValues
    static let messages = MessageRecord(type: .generationUpdated, generation: nil, version: nil, createdAt: .distantPast, body: "").postgresValues

    /// `INSERT INTO table (...) SELECT ... FROM` the JSON array in $1, in its order, then `then`.
    static func insert(_ values: PostgresRowValues, into table: String, then: String) -> String {
        """
        INSERT INTO \(table) (\(values.columnList))
        SELECT \(values.columnList) FROM jsonb_populate_recordset(NULL::\(table), $1::jsonb) WITH ORDINALITY AS r
        ORDER BY r.ordinality \(then)
        """
    }
}

private enum LockGenerations: BatchStatementText {
    static let sql = """
        SELECT \(GenerationRecord.postgresColumns) FROM generations
        WHERE id = ANY($1::bigint[]) OR callback_token_hash = ANY($2::text[]) OR generation_id = ANY($3::uuid[])
        ORDER BY id FOR UPDATE
        """
}

private enum KeptCallbacks: BatchStatementText {
    static let sql = """
        SELECT g.id, (SELECT count(*) FROM (SELECT 1 FROM events WHERE generation = g.id AND source = 'callback'
                                            AND outcome <> 'applied' LIMIT $2) AS kept)
        FROM unnest($1::bigint[]) AS g(id)
        """
}

private enum UpdateGenerations: BatchStatementText {
    static let sql = """
        UPDATE generations AS g SET \(BatchColumns.generations.assignments(from: "r"))
        FROM jsonb_populate_recordset(NULL::generations, $1::jsonb) AS r
        WHERE g.id = r.id
        """
}

private enum ReleasePollLeases: BatchStatementText {
    static let sql = """
        UPDATE generations SET poll_lease_owner = NULL, poll_lease_until = NULL WHERE id = ANY($1::bigint[]) AND poll_lease_owner = $2
        """
}

private enum ReleaseIdempotencyKeys: BatchStatementText {
    static let sql = """
        DELETE FROM idempotency_keys AS k USING unnest($1::text[], $2::bigint[]) AS r(key, generation)
        WHERE k.key = r.key AND k.generation = r.generation
        """
}

private enum InsertImages: BatchStatementText {
    static let sql = BatchColumns.insert(BatchColumns.images, into: "images", then: "ON CONFLICT (generation, position) DO NOTHING")
}

private enum InsertEvents: BatchStatementText {
    static let sql = BatchColumns.insert(BatchColumns.events, into: "events", then: "RETURNING id")
}

/// The messages, in order, a delivery for each enabled endpoint whose filter takes one, and each one's id lock.
private enum InsertMessages: BatchStatementText {
    static let sql = """
        WITH message AS (
            \(BatchColumns.insert(BatchColumns.messages, into: "messages", then: "RETURNING id, type, created_at"))
        ), queued AS (
            INSERT INTO deliveries (message, endpoint, status, next_attempt_at, created_at, updated_at)
            SELECT message.id, endpoints.id, 'pending', message.created_at, message.created_at, message.created_at
            FROM message CROSS JOIN endpoints
            WHERE endpoints.enabled AND (endpoints.types IS NULL OR endpoints.types ? message.type)
        )
        SELECT pg_advisory_xact_lock(\(PostgresMessageIDs.lockKey("id"))) FROM message
        """
}

private enum ImagesOf: BatchStatementText {
    static let sql = "SELECT \(ImageRecord.postgresColumns) FROM images WHERE generation = ANY($1::bigint[]) ORDER BY generation, position"
}

private enum UploadsOf: BatchStatementText {
    static let sql = "SELECT \(UploadRecord.postgresColumns) FROM uploads WHERE generation = ANY($1::bigint[]) ORDER BY generation, role"
}
