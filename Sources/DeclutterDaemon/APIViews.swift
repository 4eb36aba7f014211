import DeclutterStore
import Foundation

/// A generation as the local API shows it (snake_case, ISO-8601 UTC).
struct GenerationView: Encodable {
    let id: Int64
    let generationID: String?
    let projectID: String?
    let parentGenerationID: String?
    let kind: String
    let status: String
    let statusReason: String?
    let imageURL: String?
    let maskURL: String?
    let auto: Bool?
    let images: [String]
    let variations: Int?
    let remainingPhotos: Int?
    let refunded: Bool
    let resolvedBy: String?
    let createdAt: String
    let submittedAt: String?
    let updatedAt: String
    let completedAt: String?
    let nextPollAt: String?
    let pollAttempts: Int

    init(_ record: GenerationRecord) {
        id = record.id ?? 0
        generationID = record.generationID.map(StoreFormat.uuid)
        projectID = record.projectID.map(StoreFormat.uuid)
        parentGenerationID = record.parentGenerationID.map(StoreFormat.uuid)
        kind = record.kind.rawValue
        status = record.status.rawValue
        statusReason = record.statusReason
        imageURL = record.imageURL
        maskURL = record.maskURL
        auto = record.auto
        images = record.images ?? []
        variations = record.variations
        remainingPhotos = record.remainingPhotos
        refunded = record.refunded
        resolvedBy = record.resolvedBy?.rawValue
        createdAt = StoreFormat.timestamp(record.createdAt)
        submittedAt = record.submittedAt.map(StoreFormat.timestamp)
        updatedAt = StoreFormat.timestamp(record.updatedAt)
        completedAt = record.completedAt.map(StoreFormat.timestamp)
        nextPollAt = record.nextPollAt.map(StoreFormat.timestamp)
        pollAttempts = record.pollAttempts
    }
}

/// One event of a generation's audit trail.
struct EventView: Encodable {
    let id: Int64
    let source: String
    let receivedAt: String
    let httpStatus: Int?
    let rawBody: String?
    let outcome: String
    let reason: String?
    let statusBefore: String?
    let statusReported: String?

    init(_ record: EventRecord) {
        id = record.id ?? 0
        source = record.source.rawValue
        receivedAt = StoreFormat.timestamp(record.receivedAt)
        httpStatus = record.httpStatus
        rawBody = record.rawBody.map { $0.text ?? "base64:" + $0.bytes.base64EncodedString() }
        outcome = record.outcome.rawValue
        reason = record.reason
        statusBefore = record.statusBefore?.rawValue
        statusReported = record.statusReported?.rawValue
    }
}

struct ReadinessView: Encodable {
    let status: String
    let reasons: [String]
}

struct GenerationListView: Encodable {
    let generations: [GenerationView]
    let nextCursor: String?
}

struct EventListView: Encodable {
    let generationID: String?
    let events: [EventView]
}

struct ProjectView: Encodable {
    let id: String
    let createdAt: String
    let variationsCount: Int
    let generations: [GenerationView]
}

struct StatsView: Encodable {
    struct Resolution: Encodable {
        let callback: Int
        let poll: Int
    }

    let counts: [String: Int]
    let pending: Int
    let failed: Int
    let remainingPhotos: Int?
    let remainingPhotosRecordedAt: String?
    let refundsSince: Int
    let resolvedBy: Resolution
    let oldestPendingAgeSeconds: Double?
    let pollsInFlight: Int
    let outcomeUnknown: Int

    init(_ stats: StoreStats, pollsInFlight: Int, now: Date) {
        counts = Dictionary(uniqueKeysWithValues: GenerationState.allCases.map { ($0.rawValue.lowercased(), stats.countsByState[$0] ?? 0) })
        pending = GenerationState.allCases.filter(\.isPending).reduce(0) { $0 + (stats.countsByState[$1] ?? 0) }
        failed = (stats.countsByState[.failed] ?? 0) + (stats.countsByState[.rejected] ?? 0) + (stats.countsByState[.lost] ?? 0)
        remainingPhotos = stats.latestQuota?.remainingPhotos
        remainingPhotosRecordedAt = stats.latestQuota.map { StoreFormat.timestamp($0.recordedAt) }
        refundsSince = stats.refundsSinceQuota
        resolvedBy = Resolution(callback: stats.resolvedByCallback, poll: stats.resolvedByPoll)
        oldestPendingAgeSeconds = stats.oldestPendingCreatedAt.map { (now.timeIntervalSince($0) * 1000).rounded() / 1000 }
        self.pollsInFlight = pollsInFlight
        outcomeUnknown = stats.unknownOutcomes
    }
}

/// The one JSON encoder of the local API: snake_case keys, sorted, slashes unescaped.
enum APIJSON {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
