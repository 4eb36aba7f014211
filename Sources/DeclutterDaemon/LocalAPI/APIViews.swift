import DeclutterStore
import Foundation

// The local API's own answers that no client reads back, and how the store's records become the wire views
// (DeclutterWire/LocalAPIViews.swift) that it does.

struct ReadinessView: Encodable {
    let status: String
    let reasons: [String]
}

struct ProjectView: Encodable {
    let id: String
    let createdAt: String
    let variationsCount: Int
    let generations: [GenerationView]
}

/// The one JSON encoder of the local API (and of the messages it sends): `PublicJSON`.
enum APIJSON {
    static func encode(_ value: some Encodable) throws -> Data { try PublicJSON.encode(value) }
}

extension EventView {
    init(_ record: EventRecord) {
        self.init(
            id: record.id ?? 0,
            source: record.source.rawValue,
            receivedAt: StoreFormat.timestamp(record.receivedAt),
            httpStatus: record.httpStatus,
            rawBody: record.rawBody.map { $0.text ?? "base64:" + $0.bytes.base64EncodedString() },
            outcome: record.outcome.rawValue,
            reason: record.reason,
            statusBefore: record.statusBefore?.rawValue,
            statusReported: record.statusReported?.rawValue
        )
    }
}

extension StatsView {
    init(_ stats: StoreStats, keys: [KeyUsage], pollsInFlight: Int, now: Date) {
        self.init(
            counts: Dictionary(uniqueKeysWithValues: GenerationState.allCases.map { ($0.rawValue.lowercased(), stats.countsByState[$0] ?? 0) }),
            pending: stats.pending,
            failed: stats.endedWithoutResult,
            remainingPhotos: stats.latestQuota?.remainingPhotos,
            remainingPhotosRecordedAt: stats.latestQuota.map { StoreFormat.timestamp($0.recordedAt) },
            refundsSince: stats.refundsSinceQuota,
            resolvedBy: Resolution(callback: stats.resolvedByCallback, poll: stats.resolvedByPoll),
            oldestPendingAgeSeconds: stats.oldestPendingCreatedAt.map { (now.timeIntervalSince($0) * 1000).rounded() / 1000 },
            pollsInFlight: pollsInFlight,
            outcomeUnknown: stats.unknownOutcomes,
            keys: keys.map(KeyView.init)
        )
    }
}
