import Foundation
import GRDB

/// Which messages `messages(matching:)` reads: after a sequence number, oldest first. (Types are filtered by
/// the reader, past its cursor: there is no index on `type`, and none is needed.)
public struct MessageFilter: Sendable, Equatable {
    public var after: Int64
    /// `generations.id`.
    public var generation: Int64?
    public var limit: Int

    public init(after: Int64 = 0, generation: Int64? = nil, limit: Int = 100) {
        self.after = after
        self.generation = generation
        self.limit = limit
    }
}

// MARK: - Reads: the outbox

extension AppDatabase {
    public func messages(matching filter: MessageFilter) async throws -> [MessageRecord] {
        try await read { db in
            var request = MessageRecord.filter(Column("id") > filter.after)
            if let generation = filter.generation { request = request.filter(Column("generation") == generation) }
            return try request.order(Column("id")).limit(filter.limit).fetchAll(db)
        }
    }

    public func message(_ id: Int64) async throws -> MessageRecord? {
        try await read { db in try MessageRecord.fetchOne(db, key: id) }
    }

    /// The newest sequence number given to a message (pruned or not), 0 before the first.
    public func latestMessageSequence() async throws -> Int64 {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'messages'") ?? 0 }
    }
}
