import DeclutterAPI
import DeclutterStore
import Foundation
import Logging

/// A local request for a generation or a variation, validated.
public struct LaunchRequest: Sendable {
    public var imageURL: String
    public var auto: Bool?
    public var maskURL: String?
    /// For a variation: the parent generation, as stored.
    public var parent: GenerationRecord?
    public var idempotencyKey: String?
    /// Files kept in the archive for this request; `imageURL`/`maskURL` hold their references (`upload:<sha256>`),
    /// and the service is given a capability URL for each instead.
    public var inputs: [LaunchInput] = []
    /// The listing photo this launch is for (its generation takes the photo's pending launch).
    public var listingPhoto: Int64?
    /// The local API key launching it (its budget is charged as the submission is recorded); a listing photo's
    /// launch is its listing's key's.
    public var keyName: String?
}

/// A file in the archive that a launch hands to the service: an upload, or the parent's upload for a variation.
public struct LaunchInput: Sendable, Equatable {
    public var role: UploadRole
    public var file: ArchivedFileFacts
}

/// Why a submission could not start.
public enum SubmissionRefusal: Error, Sendable, Equatable {
    /// Submissions need `callbacks.public_base_url` to give the service a callback URL.
    case noPublicBaseURL
    /// The parent has no upstream generation id yet (still submitting, or rejected).
    case parentNotSubmitted
    /// The store could not write (a full disk, an unreachable database): before the upstream call (`sent` false,
    /// nothing was sent), or when recording the service's answer (`sent` true: the generation stays SUBMITTING, and
    /// its callback is still applied once the store can write).
    case storeUnavailable(sent: Bool)
}

/// Launches generations and variations (docs/states.md, docs/callbacks-and-polling.md): SUBMITTING with the token hash first, then the
/// upstream call with the generation's own callback URL, then its answer or why there is none.
struct Submitter: Sendable {
    let database: any Store
    let client: DeclutterClient
    let publicBaseURL: @Sendable () -> String?
    /// `callbacks.variation_webhook`: send a callback URL with variations too.
    let variationWebhook: Bool
    let schedule: PollSchedule
    let metrics: DaemonMetrics
    let watch: GenerationWatch
    let poller: Poller
    let logger: Logger
    let now: @Sendable () -> Date

    /// The stored record after the attempt, and whether it is the replay of an earlier request.
    func launch(_ request: LaunchRequest) async throws -> (GenerationRecord, replayed: Bool) {
        let outcome = try await launchTellingRefusal(request)
        return (outcome.generation, outcome.replayed)
    }

    /// What a launch did: the stored record, whether it replays an earlier request, and the service's refusal when it
    /// refused (a 429's `Retry-After` says when to launch again).
    struct LaunchOutcome {
        let generation: GenerationRecord
        let replayed: Bool
        var refusal: UpstreamError?
    }

    func launchTellingRefusal(_ request: LaunchRequest) async throws -> LaunchOutcome {
        guard let publicBaseURL = publicBaseURL() else { throw SubmissionRefusal.noPublicBaseURL }
        if let parent = request.parent, parent.generationID == nil { throw SubmissionRefusal.parentNotSubmitted }
        let token = CallbackToken.random()
        // A token per file, never stored: only its hash goes in with the row.
        let inputTokens = request.inputs.map { (input: $0, token: InputToken.random()) }
        var submission = Self.submission(request, callbackTokenHash: token.hash)
        submission.uploads = inputTokens.map { UploadedInput(role: $0.input.role, tokenHash: $0.token.hash, file: $0.input.file) }
        let generation: GenerationRecord
        let start: SubmissionStart
        do {
            start = try await database.beginSubmission(submission, at: now())
        } catch let refusal as StoreError where refusal != .closed {
            if case .budgetExhausted(let key, _, _, _) = refusal { metrics.keyLaunch(.refused, key: key) }
            throw refusal  // the request's own fault (an Idempotency-Key reused, a budget spent): answered as such
        } catch {
            logger.error("submission not recorded: nothing sent upstream", metadata: ["error": "\(error)"])
            throw SubmissionRefusal.storeUnavailable(sent: false)
        }
        switch start {
        case .replay(let first):
            metrics.submission(.replayed)
            return LaunchOutcome(generation: first, replayed: true)
        case .new(let record):
            generation = record
            if let key = record.keyName { metrics.keyLaunch(.launched, key: key) }
        }
        let row = try generation.requireRow()
        defer { watch.changed(row: row) }
        // The service documents no callback for variations: unless told otherwise, send none and poll instead.
        let expectsCallback = request.parent == nil || variationWebhook
        let webhook = expectsCallback ? token.url(publicBaseURL: publicBaseURL) : nil
        var outgoing = request
        for (input, token) in inputTokens {
            let url = token.url(publicBaseURL: publicBaseURL, contentType: input.file.contentType)
            if input.role == .image { outgoing.imageURL = url } else { outgoing.maskURL = url }
        }
        do {
            let answer = try await call(outgoing, webhook: webhook)
            // Logged before the write: should the store fail now, the spent generation is still findable.
            logger.with(row: row).info("accepted upstream", metadata: [
                "generation_id": "\(StoreFormat.uuid(answer.generationID))", "remaining_photos": "\(answer.remainingPhotos)"])
            let firstPoll = schedule.firstPoll(createdAt: generation.createdAt, expectsCallback: expectsCallback)
            let result: WriteResult
            do {
                result = try await database.recordAccepted(answer, forRow: row, at: now(), firstPollAt: firstPoll)
            } catch {
                logger.with(row: row).error("the service's answer not recorded", metadata: ["error": "\(error)"])
                throw SubmissionRefusal.storeUnavailable(sent: true)
            }
            metrics.submission(.accepted)
            poller.wake()
            return LaunchOutcome(generation: result.generation, replayed: false)
        } catch let error as UpstreamError {
            return LaunchOutcome(generation: try await record(error, row: row, listingPhoto: request.listingPhoto), replayed: false, refusal: error)
        }
    }

    /// The first result of an earlier request under the same Idempotency-Key, or nil when the key is new (or
    /// absent); throws `StoreError.idempotencyKeyReused` for a different request. Asked before an upload is kept,
    /// so a refused or replayed upload leaves no file behind.
    func replay(of request: LaunchRequest) async throws -> GenerationRecord? {
        let first = try await database.replay(of: Self.submission(request, callbackTokenHash: nil))
        if first != nil { metrics.submission(.replayed) }
        return first
    }

    /// The row a launch records (without its uploads, which need their tokens).
    private static func submission(_ request: LaunchRequest, callbackTokenHash: String?) -> SubmissionRequest {
        SubmissionRequest(
            kind: request.parent == nil ? .generation : .variation, imageURL: request.imageURL, maskURL: request.maskURL,
            auto: request.auto, parentGenerationID: request.parent?.generationID, projectID: request.parent?.projectID,
            callbackTokenHash: callbackTokenHash, idempotencyKey: request.idempotencyKey, listingPhoto: request.listingPhoto,
            keyName: request.keyName)
    }

    private func call(_ request: LaunchRequest, webhook: String?) async throws(UpstreamError) -> SubmissionAnswer {
        if let parent = request.parent, let parentID = parent.generationID {
            let answer = try await client.generateVariation(of: parentID, originalURL: request.imageURL, maskURL: request.maskURL, webhook: webhook)
            return SubmissionAnswer(generationID: answer.generationID, projectID: answer.projectID ?? parent.projectID,
                                    remainingPhotos: answer.remainingPhotos, rawBody: answer.rawBody)
        }
        let answer = try await client.generate(imageURL: request.imageURL, auto: request.auto, maskURL: request.maskURL, webhook: webhook)
        return SubmissionAnswer(generationID: answer.generationID, projectID: answer.projectID,
                                remainingPhotos: answer.remainingPhotos, rawBody: answer.rawBody)
    }

    /// REJECTED when nothing was spent (a refusal, or the service never reached), and a listing photo refused for the
    /// moment queued again in the same transaction; otherwise the outcome is unknown: it stays SUBMITTING with the
    /// reason, and a callback to its token can still resolve it.
    private func record(_ error: UpstreamError, row: Int64, listingPhoto: Int64?) async throws -> GenerationRecord {
        let logger = self.logger.with(row: row)
        if let listingPhoto, Self.isForTheMoment(error) {
            metrics.submission(.rejected)
            logger.warning("listing photo's launch refused for the moment: queued again", metadata: ["error": "\(error)"])
            return try await database.recordDeferredLaunch(forRow: row, listingPhoto: listingPhoto, httpStatus: error.httpStatus,
                                                           reason: error.description, at: now()).generation
        }
        switch error.kind {
        case .rejected, .unreachable:
            metrics.submission(.rejected)
            logger.warning("submission rejected", metadata: ["error": "\(error)"])
            return try await database.recordRejected(forRow: row, httpStatus: error.httpStatus, reason: error.description, rawBody: nil, at: now()).generation
        default:
            metrics.submission(.outcomeUnknown)
            logger.error("submission outcome unknown", metadata: ["error": "\(error)"])
            return try await database.recordOutcomeUnknown(forRow: row, reason: error.description, httpStatus: error.httpStatus, at: now(),
                                                           giveUpAt: now() + schedule.configuration.giveUpAfter.seconds).generation
        }
    }
}

extension Submitter {
    /// A refusal that says "not now" rather than "not this", with nothing spent: 429, 503, or a service that could not
    /// be reached.
    static func isForTheMoment(_ error: UpstreamError) -> Bool {
        error.kind == .unreachable || (error.kind == .rejected && (error.httpStatus == 429 || error.httpStatus == 503))
    }
}

extension GenerationRecord {
    func requireRow() throws -> Int64 {
        guard let id else { throw StoreError.generationNotFound }
        return id
    }
}

extension Logger {
    func with(row: Int64) -> Logger {
        var logger = self
        logger[metadataKey: "generation"] = "\(row)"
        return logger
    }
}
