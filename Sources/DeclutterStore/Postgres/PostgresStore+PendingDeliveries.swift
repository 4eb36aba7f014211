import Foundation

// Not yet on PostgreSQL: each throws `StoreError.unsupported`. Filled in as the PostgreSQL backend grows.

extension PostgresStore {
    public func pruneEvents(receivedBefore cutoff: Date, batch: Int) async throws -> Int {
        throw StoreError.unsupported("pruneEvents")
    }

    public func pruneMessages(createdBefore cutoff: Date, batch: Int) async throws -> Int {
        throw StoreError.unsupported("pruneMessages")
    }

    public func pruneAttempts(madeBefore cutoff: Date, batch: Int) async throws -> Int {
        throw StoreError.unsupported("pruneAttempts")
    }

    public func pruneDeliveries(createdBefore cutoff: Date, batch: Int) async throws -> Int {
        throw StoreError.unsupported("pruneDeliveries")
    }
}
