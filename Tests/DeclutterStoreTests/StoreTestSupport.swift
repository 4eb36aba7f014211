import DeclutterAPI
@testable import DeclutterStore
import Foundation
import GRDB
import TestSupport

/// A fixed instant on a whole second, so that dates read back compare equal.
let t0 = Date(timeIntervalSince1970: 1_800_000_000)

extension Date {
    func plus(_ seconds: TimeInterval) -> Date { addingTimeInterval(seconds) }
}

/// A status report as the callback listener or the poller would build it: validated without context.
func report(_ json: String, source: EventSource = .callback, at date: Date = t0,
            reschedule: PollReschedule? = nil) -> StatusReport {
    let body = Data(json.utf8)
    return StatusReport(source: source, receivedAt: date, httpStatus: source == .poll ? 200 : nil, rawBody: body,
                        payload: RetrievalPayloadValidator.validate(body),
                        rescheduleIfPending: reschedule ?? .atLeast(date.plus(600)))
}

let succeededJSON = #"{"status": "SUCCEEDED", "images": ["https://cdn.example.com/out/1.png"]}"#

/// A generation launched and accepted upstream (STARTING), with its callback token.
struct Submitted {
    let row: Int64
    let token: CallbackToken
    let generationID: UUID
    let projectID: UUID
    var byToken: GenerationLocator { .callbackTokenHash(token.hash) }
}

extension Store {
    /// beginSubmission + recordAccepted, first poll at `firstPollAt`.
    func submitted(at date: Date = t0, firstPollAt: Date? = nil, projectID: UUID = UUID(), remaining: Int = 10) async throws -> Submitted {
        let token = CallbackToken.random()
        let row = try await beginRow(callbackTokenHash: token.hash, at: date)
        let generationID = UUID()
        let answer = SubmissionAnswer(generationID: generationID, projectID: projectID, remainingPhotos: remaining,
                                      rawBody: Data(#"{"generation_id": "\#(generationID)"}"#.utf8))
        _ = try await recordAccepted(answer, forRow: row, at: date, firstPollAt: firstPollAt ?? date.plus(600))
        return Submitted(row: row, token: token, generationID: generationID, projectID: projectID)
    }

    /// beginSubmission only: a SUBMITTING row.
    func beginRow(callbackTokenHash: String? = nil, at date: Date = t0) async throws -> Int64 {
        let request = SubmissionRequest(kind: .generation, imageURL: "https://example.com/room.jpg", auto: true,
                                        callbackTokenHash: callbackTokenHash)
        guard case .new(let record) = try await beginSubmission(request, at: date), let row = record.id else {
            throw StoreError.generationNotFound
        }
        return row
    }

    /// An endpoint at `http://127.0.0.1:9/<path>` (nothing listens there), taking `types` (nil: every type).
    func addEndpoint(_ path: String, types: [MessageType]? = nil, at date: Date = t0) async throws -> EndpointRecord {
        let record = EndpointRecord(url: "http://127.0.0.1:9/" + path, description: nil, types: types, secret: "whsec_" + path, createdAt: date)
        guard let endpoint = try await createEndpoint(record) else { throw StoreError.closed }
        return endpoint
    }

    /// The rows of `table`, whichever the backend.
    func count(_ table: String) async throws -> Int {
        switch self {
        case let database as AppDatabase:
            try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
        case let store as PostgresStore:
            try await store.value("SELECT count(*) FROM \(unescaped: table)", as: Int.self) ?? 0
        default:
            throw StoreError.unsupported("count")
        }
    }

    func generationMessages(of row: Int64) async throws -> [MessageRecord] {
        try await messages(matching: MessageFilter(generation: row))
    }

    /// This store with `policy` deciding when `quota.low` goes out, whichever the backend.
    func with(_ policy: OutboxPolicy) throws -> any Store {
        switch self {
        case var database as AppDatabase:
            database.outboxPolicy = policy
            return database
        case var store as PostgresStore:
            store.outboxPolicy = policy
            return store
        default:
            throw StoreError.unsupported("outboxPolicy")
        }
    }

    /// The ids of the deliveries to `endpoint`, oldest first.
    func deliveryIDs(to endpoint: EndpointRecord) async throws -> [Int64] {
        var filter = DeliveryFilter(endpoint: endpoint.id)
        filter.limit = 1000
        return try await deliveries(matching: filter).compactMap(\.delivery.id).reversed()
    }

    func row(_ row: Int64) async throws -> GenerationRecord {
        guard let record = try await generation(.row(row)) else { throw StoreError.generationNotFound }
        return record
    }
}

/// One attempt's result as the worker reports it: an HTTP status, or (nil) no answer.
func attemptReport(_ delivery: Int64, round: Int = 1, at date: Date, status: Int?, verdict: AttemptVerdict,
                   disableIfFailingSince: Date? = nil) -> AttemptReport {
    AttemptReport(deliveryID: delivery, round: round, attemptedAt: date, httpStatus: status, latencyMilliseconds: 5, response: nil,
                  error: verdict == .delivered ? nil : status.map { "HTTP \($0)" } ?? "connection refused", verdict: verdict,
                  disableIfFailingSince: disableIfFailingSince)
}
