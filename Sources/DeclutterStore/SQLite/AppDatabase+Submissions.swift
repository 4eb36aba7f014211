import Crypto
import DeclutterAPI
import Foundation
import GRDB

/// A local request to launch a generation or a variation, recorded before the upstream call.
public struct SubmissionRequest: Sendable, Equatable {
    public var kind: GenerationKind
    public var imageURL: String?
    public var maskURL: String?
    public var auto: Bool?
    /// For a variation: the generation it varies and that generation's project.
    public var parentGenerationID: UUID?
    public var projectID: UUID?
    public var callbackTokenHash: String?
    public var idempotencyKey: String?
    /// Files uploaded with the request, already in the archive; `imageURL`/`maskURL` hold their references
    /// (`UploadedInput.reference`), so the fingerprint tells two uploads apart by their bytes.
    public var uploads: [UploadedInput]
    /// The listing photo this launch is for: recording it takes the photo's pending launch, in the same transaction.
    public var listingPhoto: Int64?
    /// The local API key launching it: its photo budget is checked and charged in the transaction that records the
    /// submission. A listing photo's launch is its listing's key's (read in that transaction), charged with the listing.
    public var keyName: String?

    public init(kind: GenerationKind, imageURL: String?, maskURL: String? = nil, auto: Bool? = nil,
                parentGenerationID: UUID? = nil, projectID: UUID? = nil, callbackTokenHash: String? = nil, idempotencyKey: String? = nil,
                uploads: [UploadedInput] = [], listingPhoto: Int64? = nil, keyName: String? = nil) {
        self.kind = kind
        self.imageURL = imageURL
        self.maskURL = maskURL
        self.auto = auto
        self.parentGenerationID = parentGenerationID
        self.projectID = projectID
        self.callbackTokenHash = callbackTokenHash
        self.idempotencyKey = idempotencyKey
        self.uploads = uploads
        self.listingPhoto = listingPhoto
        self.keyName = keyName
    }

    /// What makes two requests under one Idempotency-Key "the same request".
    var fingerprint: String {
        let parts = [kind.rawValue, imageURL ?? "", maskURL ?? "", auto.map { "\($0)" } ?? "",
                     parentGenerationID.map(StoreFormat.uuid) ?? ""]
        return SHA256.hash(data: Data(parts.joined(separator: "\u{1F}").utf8)).hexString
    }
}

/// The start of a submission: a new record to submit upstream, or the first result of a retried request.
public enum SubmissionStart: Sendable, Equatable {
    case new(GenerationRecord)
    /// The Idempotency-Key was seen before: here is what it produced; do not call upstream again.
    case replay(GenerationRecord)
}

/// The generate (or generate-variation) answer, as the submitter hands it to the store.
public struct SubmissionAnswer: Sendable {
    public var generationID: UUID
    public var projectID: UUID?
    public var remainingPhotos: Int
    public var rawBody: Data
    public var httpStatus: Int

    public init(generationID: UUID, projectID: UUID?, remainingPhotos: Int, rawBody: Data, httpStatus: Int = 200) {
        self.generationID = generationID
        self.projectID = projectID
        self.remainingPhotos = remainingPhotos
        self.rawBody = rawBody
        self.httpStatus = httpStatus
    }
}

// MARK: - Writes: submissions

extension AppDatabase {
    /// Records a submission as SUBMITTING (with its callback token hash) before any upstream call,
    /// or returns the first result of an Idempotency-Key already seen.
    public func beginSubmission(_ request: SubmissionRequest, at date: Date) async throws -> SubmissionStart {
        try await write { db in
            if let first = try Self.firstResult(of: request, in: db) { return .replay(first) }
            var generation = GenerationRecord.submitting(request, at: date)
            if let photo = request.listingPhoto {
                generation.keyName = try String.fetchOne(db, sql: KeySQL.sqlite.listingKey, arguments: [photo])
            } else {
                try Self.checkBudget(ofKey: request.keyName, needed: 1, at: date, in: db)
            }
            try generation.insertAnnounced(with: request.uploads, at: date, in: db)
            if let photo = request.listingPhoto { try Self.takeLaunch(of: photo, by: try generation.requireID(), at: date, in: db) }
            if let key = request.idempotencyKey {
                _ = try IdempotencyRecord(key: key, requestFingerprint: request.fingerprint, generation: try generation.requireID(), createdAt: date).inserted(db)
            }
            return .new(generation)
        }
    }

    /// What `beginSubmission` would replay for `request`, without writing: the first result of its Idempotency-Key,
    /// or nil when the key is new (or absent). Throws `idempotencyKeyReused` for a different request. For an upload,
    /// asked before its file is kept, so a replayed or refused upload leaves no file.
    public func replay(of request: SubmissionRequest) async throws -> GenerationRecord? {
        try await read { db in try Self.firstResult(of: request, in: db) }
    }

    /// The generation an Idempotency-Key already produced, if the key was seen, for the same request.
    private static func firstResult(of request: SubmissionRequest, in db: Database) throws -> GenerationRecord? {
        guard let key = request.idempotencyKey, let seen = try IdempotencyRecord.fetchOne(db, key: key) else { return nil }
        guard seen.requestFingerprint == request.fingerprint else { throw StoreError.idempotencyKeyReused(key: key) }
        guard let first = try GenerationRecord.fetchOne(db, key: seen.generation) else { throw StoreError.generationNotFound }
        return first
    }

    /// Stores the upstream answer of a submission: ids, project, quota, and the first poll date
    /// (`created + callback_grace`). A callback that came first keeps the state it brought.
    public func recordAccepted(_ answer: SubmissionAnswer, forRow row: Int64, at date: Date, firstPollAt: Date) async throws -> WriteResult {
        try await write { [outboxPolicy] db in
            guard let stored = try GenerationRecord.find(.row(row), in: db) else { throw StoreError.generationNotFound }
            var facts = AcceptanceFacts()
            facts.rowWithGenerationID = try GenerationRecord.find(.generationID(answer.generationID), in: db)?.id
            if let projectID = answer.variationProject(of: stored) {
                facts.launchedVariations = try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM generations
                    WHERE project_id = ? AND kind = 'variation' AND generation_id IS NOT NULL AND id != ?
                    """, arguments: [StoreFormat.uuid(projectID), row]) ?? 0
            }
            facts.previousRemaining = try Int.fetchOne(db, sql: "SELECT remaining_photos FROM quota_history ORDER BY id DESC LIMIT 1")
            var plan = ReportPlan()
            try plan.add(accepted: answer, about: stored, facts: facts, policy: outboxPolicy, at: date, firstPollAt: firstPollAt)
            return try plan.onlyResult(eventIDs: plan.carryOut(in: db))
        }
    }

    /// Upstream refused the submission: REJECTED, no photo spent, never polled.
    /// Its Idempotency-Key is released: nothing was spent, so a retry under the same key may try again.
    public func recordRejected(forRow row: Int64, httpStatus: Int?, reason: String, rawBody: Data?, at date: Date) async throws -> WriteResult {
        try await recordDecision(.rejected(reason: reason, httpStatus: httpStatus, rawBody: rawBody), forRow: row, at: date, nextPollAt: nil)
    }

    /// The submission was sent but its outcome is unknown: it stays SUBMITTING with the reason, visible to
    /// the operator, and is never resubmitted blindly. `giveUpAt` is when the poller, unless a callback
    /// brought its generation id by then, declares it LOST.
    public func recordOutcomeUnknown(forRow row: Int64, reason: String, httpStatus: Int?, at date: Date, giveUpAt: Date) async throws -> WriteResult {
        try await recordDecision(.outcomeUnknown(reason: reason, httpStatus: httpStatus), forRow: row, at: date, nextPollAt: giveUpAt)
    }

    /// Submissions left SUBMITTING with no poll date by a stop between the record and the upstream answer:
    /// scheduled for their give-up time, so none stays pending forever. Run at start-up.
    /// A start-up chore: it writes directly, before the group commit runs.
    public func scheduleOrphanedSubmissions(giveUpAfter: Duration, at date: Date) async throws -> Int {
        try await writeAtStart { db in
            try db.execute(sql: """
                UPDATE generations SET next_poll_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, ?)
                WHERE status = 'SUBMITTING' AND next_poll_at IS NULL
                """, arguments: ["+\(Int(giveUpAfter.seconds.rounded(.up))) seconds"])
            return db.changesCount
        }
    }

    /// Gives up on a generation: LOST with the reason. A late callback or poll answer revives it.
    public func markLost(row: Int64, reason: String, at date: Date) async throws -> WriteResult {
        try await recordDecision(.lost(reason: reason), forRow: row, at: date, nextPollAt: nil)
    }

    /// A poll that got no usable answer (HTTP error, timeout): recorded, counted, rescheduled.
    public func recordPollFailure(row: Int64, httpStatus: Int?, reason: String, rawBody: Data?, at date: Date, nextPollAt: Date) async throws -> WriteResult {
        try await recordDecision(.pollFailed(reason: reason, httpStatus: httpStatus, rawBody: rawBody), forRow: row, at: date, nextPollAt: nextPollAt)
    }

    /// A local decision or a failed call as a plan of its own (`ReportPlan`), carried out at once; then `also`, in the
    /// same transaction.
    func recordDecision(_ decision: LocalDecision, forRow row: Int64, at date: Date, nextPollAt: Date?,
                        also: @escaping @Sendable (Database) throws -> Void = { _ in }) async throws -> WriteResult {
        try await write { db in
            guard let generation = try GenerationRecord.fetchOne(db, key: row) else { throw StoreError.generationNotFound }
            var plan = ReportPlan()
            try plan.add(decision, about: generation, at: date, nextPollAt: nextPollAt)
            let result = try plan.onlyResult(eventIDs: plan.carryOut(in: db))
            try also(db)
            return result
        }
    }
}
