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
        return try await all("""
            SELECT \(unescaped: GenerationRecord.postgresColumns) FROM generations
            WHERE id = ANY(\(rows)::bigint[]) OR callback_token_hash = ANY(\(hashes)::text[]) OR generation_id = ANY(\(ids)::uuid[])
            ORDER BY id FOR UPDATE
            """, GenerationRecord.init(postgres:))
    }

    /// Unapplied callbacks kept for each of `generations`, counted up to `limit` (an index-only count each).
    func unappliedCallbacks(of generations: [Int64], upTo limit: Int) async throws -> [Int64: Int] {
        guard !generations.isEmpty else { return [:] }
        let counts = try await all("""
            SELECT g.id, (SELECT count(*) FROM (SELECT 1 FROM events WHERE generation = g.id AND source = 'callback'
                                                AND outcome <> 'applied' LIMIT \(limit)) AS kept)
            FROM unnest(\(generations)::bigint[]) AS g(id)
            """) { try $0.decode((Int64, Int).self) }
        return Dictionary(counts, uniquingKeysWith: max)
    }

    /// Writes `plan`; returns the ids of its events, in order. `instance`: the poll leases it ends are this one's.
    func carryOut(_ plan: ReportPlan, instance: String) async throws -> [Int64] {
        try await ensure(plan.projectsByID)
        let rows = plan.changedRows
        if !rows.isEmpty {
            try await execute("""
                UPDATE generations AS g SET \(unescaped: rows[0].postgresValues.assignments(from: "r"))
                FROM jsonb_populate_recordset(NULL::generations, \(Self.jsonArray(rows.map { $0.postgresValues.json(id: $0.id) }))::jsonb) AS r
                WHERE g.id = r.id
                """)
        }
        if !plan.polled.isEmpty {
            try await execute("""
                UPDATE generations SET poll_lease_owner = NULL, poll_lease_until = NULL
                WHERE id = ANY(\(Array(plan.polled))::bigint[]) AND poll_lease_owner = \(instance)
                """)
        }
        if !plan.images.isEmpty {
            try await insert(plan.images.map(\.postgresValues), into: "images", then: "ON CONFLICT (generation, position) DO NOTHING")
        }
        try await publish(plan.announcements)
        guard !plan.events.isEmpty else { return [] }
        return try await insert(plan.events.map(\.postgresValues), into: "events", then: "RETURNING id")
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
    private func publish(_ announcements: [ReportPlan.Announcement]) async throws {
        guard !announcements.isEmpty else { return }
        let files = try await self.files(of: Array(Set(announcements.compactMap(\.generation.id))))
        let messages = try announcements.map { announcement in
            try Outbox.message(announcement.type, about: announcement.generation,
                               files: announcement.generation.id.map { files[$0] ?? GenerationFiles() }, at: announcement.at)
        }
        try await insertMessages(messages)
    }

    /// The messages, in order, with their deliveries and id locks.
    func insertMessages(_ messages: [MessageRecord]) async throws {
        guard let first = messages.first else { return }
        outbox.note()
        try await execute("""
            WITH message AS (
                INSERT INTO messages (\(unescaped: first.postgresValues.columnList))
                SELECT \(unescaped: first.postgresValues.columnList)
                FROM jsonb_populate_recordset(NULL::messages, \(Self.jsonArray(messages.map { $0.postgresValues.json() }))::jsonb)
                     WITH ORDINALITY AS r
                ORDER BY r.ordinality
                RETURNING id, type, created_at
            ), queued AS (
                INSERT INTO deliveries (message, endpoint, status, next_attempt_at, created_at, updated_at)
                SELECT message.id, endpoints.id, 'pending', message.created_at, message.created_at, message.created_at
                FROM message CROSS JOIN endpoints
                WHERE endpoints.enabled AND (endpoints.types IS NULL OR endpoints.types ? message.type)
            )
            SELECT pg_advisory_xact_lock(\(unescaped: PostgresMessageIDs.lockKey("id"))) FROM message
            """)
    }

    /// The archived images and uploads of each of `generations`.
    func files(of generations: [Int64]) async throws -> [Int64: GenerationFiles] {
        guard !generations.isEmpty else { return [:] }
        var files: [Int64: GenerationFiles] = [:]
        for image in try await all("""
            SELECT \(unescaped: ImageRecord.postgresColumns) FROM images WHERE generation = ANY(\(generations)::bigint[])
            ORDER BY generation, position
            """, ImageRecord.init(postgres:)) {
            files[image.generation, default: GenerationFiles()].images.append(image)
        }
        for upload in try await all("""
            SELECT \(unescaped: UploadRecord.postgresColumns) FROM uploads WHERE generation = ANY(\(generations)::bigint[])
            ORDER BY generation, role
            """, UploadRecord.init(postgres:)) {
            files[upload.generation, default: GenerationFiles()].uploads.append(upload)
        }
        return files
    }

    /// The rows, in order, in one `INSERT ... SELECT`; with `then` = "RETURNING id", their ids in the same order.
    @discardableResult
    private func insert(_ rows: [PostgresRowValues], into table: String, then: String) async throws -> [Int64] {
        guard let first = rows.first else { return [] }
        let sql = """
            INSERT INTO \(table) (\(first.columnList))
            SELECT \(first.columnList) FROM jsonb_populate_recordset(NULL::\(table), $1::jsonb) WITH ORDINALITY AS r
            ORDER BY r.ordinality \(then)
            """
        var bindings = PostgresBindings()
        bindings.append(Self.jsonArray(rows.map { $0.json() }))
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        guard then.contains("RETURNING") else {
            try await execute(query)
            return []
        }
        return try await all(query) { try $0.decode(Int64.self) }
    }

    static func jsonArray(_ objects: [String]) -> String {
        "[" + objects.joined(separator: ",") + "]"
    }
}
