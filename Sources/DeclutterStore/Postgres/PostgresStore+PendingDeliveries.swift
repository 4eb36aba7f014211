import Foundation

// Not yet on PostgreSQL: each throws `StoreError.unsupported`. Filled in as the PostgreSQL backend grows.

extension PostgresStore {
    public func recordAttempt(_ report: AttemptReport) async throws -> EndpointChange {
        throw StoreError.unsupported("recordAttempt")
    }

    public func redeliver(message: Int64, endpoint: Int64?, at date: Date) async throws -> Int? {
        throw StoreError.unsupported("redeliver")
    }

    public func recover(endpoint: Int64, since: Date, at date: Date) async throws -> Int? {
        throw StoreError.unsupported("recover")
    }

    public func dueDeliveries(to endpoint: EndpointRecord, at now: Date, excluding busy: Set<Int64>, limit: Int) async throws -> [DueDelivery] {
        throw StoreError.unsupported("dueDeliveries")
    }

    public func nextAttemptDate(endpoints: [Int64], excluding busy: Set<Int64>) async throws -> Date? {
        throw StoreError.unsupported("nextAttemptDate")
    }

    public func enabledEndpoints() async throws -> [EndpointRecord] {
        throw StoreError.unsupported("enabledEndpoints")
    }

    public func deliveries(matching filter: DeliveryFilter) async throws -> [DeliveryListing] {
        throw StoreError.unsupported("deliveries")
    }

    public func delivery(_ id: Int64) async throws -> DeliveryListing? {
        throw StoreError.unsupported("delivery")
    }

    public func deliveryStats() async throws -> DeliveryStats {
        throw StoreError.unsupported("deliveryStats")
    }

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
