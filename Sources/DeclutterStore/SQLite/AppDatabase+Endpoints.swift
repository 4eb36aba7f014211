import Foundation
import GRDB

/// An edit of an endpoint: nil leaves a part as it is; `.some(nil)` clears the description, or makes the
/// endpoint take every type.
public struct EndpointEdit: Sendable, Equatable {
    public var url: String?
    public var description: String??
    public var types: [MessageType]??

    public init(url: String? = nil, description: String?? = nil, types: [MessageType]?? = nil) {
        self.url = url
        self.description = description
        self.types = types
    }
}

// MARK: - Writes: endpoints

extension AppDatabase {
    /// Inserts an endpoint unless `limit` endpoints exist already (counted in the same transaction); nil then.
    public func createEndpoint(_ endpoint: EndpointRecord, limit: Int) async throws -> EndpointRecord? {
        try await write { db in
            guard try EndpointRecord.fetchCount(db) < limit else { return nil }
            var endpoint = endpoint
            try endpoint.insert(db)
            return endpoint
        }
    }

    /// Deletes an endpoint with its deliveries and their attempts; false when there was none. It is disabled
    /// first (nothing more is queued or sent to it), then its history goes `batch` deliveries (with their
    /// attempts) per write, so that a long history never holds the write lock for one long delete.
    public func deleteEndpoint(_ id: Int64, batch: Int) async throws -> Bool {
        let found = try await write { db in
            try db.execute(sql: "UPDATE endpoints SET enabled = 0 WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
        guard found else { return false }
        while try await write({ db in
            try db.execute(sql: "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE endpoint = ? LIMIT ?)", arguments: [id, batch])
            return db.changesCount
        }) == batch {}
        return try await write { db in try EndpointRecord.deleteOne(db, key: id) }
    }

    public func changeEndpoint(_ id: Int64, at date: Date, _ change: @escaping @Sendable (inout EndpointRecord) -> Void) async throws -> EndpointRecord? {
        try await write { db in
            guard var endpoint = try EndpointRecord.fetchOne(db, key: id) else { return nil }
            change(&endpoint)
            endpoint.updatedAt = date
            try endpoint.update(db)
            return endpoint
        }
    }
}

// MARK: - Reads: endpoints

extension AppDatabase {
    public func endpoints() async throws -> [EndpointRecord] {
        try await read { db in try EndpointRecord.order(Column("id")).fetchAll(db) }
    }

    public func endpoint(_ id: Int64) async throws -> EndpointRecord? {
        try await read { db in try EndpointRecord.fetchOne(db, key: id) }
    }
}
