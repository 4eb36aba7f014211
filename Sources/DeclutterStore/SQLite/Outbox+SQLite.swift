import Foundation
import GRDB

/// Writes messages inside the transaction that made the change they announce, queueing one delivery for each
/// enabled endpoint whose filter takes the type. Nothing here commits: the caller's transaction does.
extension Outbox {
    /// A message about `generation`, whose `version` the caller bumped before writing the row.
    static func publish(_ type: MessageType, about generation: GenerationRecord, at date: Date, in db: Database) throws {
        let files = try generation.id.map { try GenerationFiles.read(of: $0, in: db) }
        try insert(message(type, about: generation, files: files, at: date), in: db)
    }

    /// The message, and a delivery for each enabled endpoint whose filter takes its type.
    static func insert(_ message: MessageRecord, in db: Database) throws {
        var message = message
        try message.insert(db)
        let now = StoreFormat.timestamp(message.createdAt)
        try db.cachedStatement(sql: """
            INSERT INTO deliveries (message, endpoint, status, next_attempt_at, created_at, updated_at)
            SELECT ?, id, 'pending', ?, ?, ? FROM endpoints
            WHERE enabled = 1 AND (types IS NULL OR EXISTS (SELECT 1 FROM json_each(endpoints.types) WHERE value = ?))
            """).execute(arguments: [message.id, now, now, now, message.type.rawValue])
    }
}

extension GenerationRecord {
    /// Inserts a new generation, with the files uploaded for it, and its `generation.created` message.
    mutating func insertAnnounced(with uploads: [UploadedInput] = [], at date: Date, in db: Database) throws {
        version = 1
        try insert(db)
        for input in uploads {
            var upload = UploadRecord(generation: try requireID(), role: input.role, tokenHash: input.tokenHash, file: input.file, createdAt: date)
            try upload.insert(db)
        }
        try Outbox.publish(.generationCreated, about: self, at: date, in: db)
    }
}
