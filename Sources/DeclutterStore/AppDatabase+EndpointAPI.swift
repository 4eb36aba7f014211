import Foundation
import GRDB

/// An edit of an endpoint through the local API: nil leaves a part as it is; `.some(nil)` clears the
/// description, or makes the endpoint take every type.
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

// MARK: - Writes: endpoints as the local API manages them

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

    /// Applies `edit`; nil when there is no such endpoint.
    public func editEndpoint(_ id: Int64, _ edit: EndpointEdit, at date: Date) async throws -> EndpointRecord? {
        try await write { db in
            guard var endpoint = try EndpointRecord.fetchOne(db, key: id) else { return nil }
            if let url = edit.url { endpoint.url = url }
            if let description = edit.description { endpoint.description = description }
            if let types = edit.types { endpoint.types = types }
            endpoint.updatedAt = date
            try endpoint.update(db)
            return endpoint
        }
    }
}
