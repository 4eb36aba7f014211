import Foundation
import GRDB

/// The parts of an endpoint an update may change; nil leaves a part as it is.
public struct EndpointChanges: Sendable, Equatable {
    public var url: String?
    public var description: String?
    /// `.some(nil)`: every type.
    public var types: [MessageType]??

    public init(url: String? = nil, description: String? = nil, types: [MessageType]?? = nil) {
        self.url = url
        self.description = description
        self.types = types
    }
}

// MARK: - Writes: endpoints

extension AppDatabase {
    public func createEndpoint(_ endpoint: EndpointRecord) async throws -> EndpointRecord {
        try await write { db in
            var endpoint = endpoint
            try endpoint.insert(db)
            return endpoint
        }
    }

    /// Nil when there is no such endpoint.
    public func updateEndpoint(_ id: Int64, _ changes: EndpointChanges, at date: Date) async throws -> EndpointRecord? {
        try await changeEndpoint(id, at: date) { endpoint in
            if let url = changes.url { endpoint.url = url }
            if let description = changes.description { endpoint.description = description }
            if let types = changes.types { endpoint.types = types }
        }
    }

    /// Enables (clearing the failure record) or disables an endpoint; nil when there is no such endpoint.
    /// Pending deliveries of a disabled endpoint wait; they go out once it is enabled again.
    public func setEndpointEnabled(_ id: Int64, _ enabled: Bool, reason: String?, at date: Date) async throws -> EndpointRecord? {
        try await changeEndpoint(id, at: date) { endpoint in
            endpoint.enabled = enabled
            endpoint.disabledReason = enabled ? nil : reason
            if enabled { endpoint.failingSince = nil }
        }
    }

    /// Replaces the secret; the previous one keeps signing until `overlapUntil`. Nil when there is no such endpoint.
    public func rotateSecret(of id: Int64, to secret: String, overlapUntil: Date, at date: Date) async throws -> EndpointRecord? {
        try await changeEndpoint(id, at: date) { endpoint in
            endpoint.previousSecret = endpoint.secret
            endpoint.previousSecretExpiresAt = overlapUntil
            endpoint.secret = secret
        }
    }

    /// Deletes an endpoint with its deliveries and their attempts; false when there was none.
    public func deleteEndpoint(_ id: Int64) async throws -> Bool {
        try await write { db in try EndpointRecord.deleteOne(db, key: id) }
    }

    private func changeEndpoint(_ id: Int64, at date: Date, _ change: @escaping @Sendable (inout EndpointRecord) -> Void) async throws -> EndpointRecord? {
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
