import DeclutterAPI
import Foundation

/// What the sandbox has done, for tests, the demo and benchmarks to assert on.
public struct SandboxCounters: Codable, Sendable, Equatable {
    public var generateCalls = 0
    public var variationCalls = 0
    public var retrievalCalls = 0
    /// Retrieval calls per generation id (lowercase).
    public var retrievalCallsByGeneration: [String: Int] = [:]
    /// Retrieval calls that came while another one for the same generation was still being answered: two pollers
    /// polling one generation at once.
    public var overlappingRetrievals = 0
    /// Generation ids with at least one overlapping retrieval (lowercase).
    public var overlappingGenerations: Set<String> = []
    public var unauthorized = 0
    public var badRequests = 0
    public var rateLimited = 0
    public var serverErrors = 0
    public var unavailable = 0
    public var timeouts = 0
    public var photosSpent = 0
    public var photosRefunded = 0
    public var callbacksSent = 0
    public var callbacksDropped = 0
    public var callbacksDuplicated = 0
    public var callbacksReordered = 0
    public var callbacksDelayed = 0
    public var callbacksMalformed = 0
    /// Callback deliveries that got no 2xx (or no answer).
    public var callbackDeliveryFailures = 0
    /// GET requests under `/images/`, known or not.
    public var imageRequests = 0
    /// GET requests per result-image URL, as the retrieval payload lists it.
    public var imageRequestsByURL: [String: Int] = [:]
    /// Result images served whole (counted when the answer starts).
    public var imagesServed = 0
    /// Result-image requests answered with an `ImageFault`.
    public var imageFaults = 0
    /// With `fetchInputs`: the photo each generation was given, as fetched, in the order they were accepted.
    public var inputsFetched: [FetchedInput] = []
    /// With `fetchInputs`: photos that could not be fetched (each refused with 400).
    public var inputFetchFailures = 0
    /// The `image_url` of every generate call whose body was read, in order: how often each photo was launched.
    public var generateImageURLs: [String] = []

    enum CodingKeys: String, CodingKey {
        case generateCalls = "generate_calls", variationCalls = "variation_calls", retrievalCalls = "retrieval_calls"
        case retrievalCallsByGeneration = "retrieval_calls_by_generation", unauthorized, badRequests = "bad_requests"
        case rateLimited = "rate_limited", serverErrors = "server_errors", unavailable, timeouts
        case photosSpent = "photos_spent", photosRefunded = "photos_refunded", callbacksSent = "callbacks_sent"
        case callbacksDropped = "callbacks_dropped", callbacksDuplicated = "callbacks_duplicated"
        case callbacksReordered = "callbacks_reordered", callbacksDelayed = "callbacks_delayed"
        case callbacksMalformed = "callbacks_malformed", callbackDeliveryFailures = "callback_delivery_failures"
        case imageRequests = "image_requests", imageRequestsByURL = "image_requests_by_url"
        case imagesServed = "images_served", imageFaults = "image_faults"
        case inputsFetched = "inputs_fetched", inputFetchFailures = "input_fetch_failures"
        case overlappingRetrievals = "overlapping_retrievals", overlappingGenerations = "overlapping_generations"
        case generateImageURLs = "generate_image_urls"
    }
}

/// The fate the seed chose for one callback.
public struct CallbackFate: Sendable, Equatable {
    public var generationID: UUID
    public var status: UpstreamStatus
    public var dropped = false
    public var duplicated = false
    public var delayed = false
    public var malformed = false
    /// A PROCESSING callback held back until after the terminal one.
    public var reordered = false
}

/// One generation as the sandbox runs it.
struct SandboxGeneration: Sendable {
    let id: UUID
    let index: UInt64
    let projectID: UUID
    let webhook: String?
    let charged: Bool
    let endsFailed: Bool
    let completionTime: Duration
    var status: UpstreamStatus = .starting
    var images: [String] = []
}

/// A project: the generation that opened it and how many variations it has had.
struct SandboxProject: Sendable {
    var variations = 0
}

/// Why the sandbox refuses an accepted-looking request.
enum SandboxRefusal: Error {
    case quotaExhausted
    case unknownGeneration
}

/// The sandbox's account: quota, projects, generations and counters. Deterministic under the seed.
actor SandboxState {
    let configuration: SandboxConfiguration
    let draws: SeededDraws
    private(set) var remainingPhotos: Int
    private(set) var counters = SandboxCounters()
    private(set) var fates: [CallbackFate] = []
    private var generations: [UUID: SandboxGeneration] = [:]
    private var projects: [UUID: SandboxProject] = [:]
    private var nextGenerationIndex: UInt64 = 0
    private var nextCallIndex: UInt64 = 0
    private var stopped = false

    init(configuration: SandboxConfiguration) {
        self.configuration = configuration
        self.draws = SeededDraws(seed: configuration.seed)
        self.remainingPhotos = configuration.initialQuota
    }

    func count(_ update: (inout SandboxCounters) -> Void) {
        update(&counters)
    }

    /// The fault (if any) the seed picks for the next API call.
    func drawCallFault() -> InjectedFault? {
        let index = nextCallIndex
        nextCallIndex += 1
        let faults = configuration.faults
        let roll = draws.unit(.apiFault, index)
        var threshold = 0.0
        for (ratio, fault) in [(faults.rateLimited, InjectedFault.rateLimited), (faults.serverError, .serverError),
                               (faults.unavailable, .unavailable), (faults.timeout, .timeout)] {
            threshold += ratio
            if roll < threshold { return fault }
        }
        return nil
    }

    /// Opens a generation: a new project, or the parent's for a variation. Spends a photo unless free.
    func createGeneration(webhook: String?, variationOf parentID: UUID?) throws(SandboxRefusal) -> (SandboxGeneration, remaining: Int) {
        var projectID: UUID
        var charged = true
        if let parentID {
            guard let parent = generations[parentID] else { throw .unknownGeneration }
            projectID = parent.projectID
            charged = (projects[projectID]?.variations ?? 0) >= configuration.freeVariationsPerProject
        } else {
            projectID = draws.uuid(.project, nextGenerationIndex)
        }
        guard !charged || remainingPhotos > 0 else { throw .quotaExhausted }
        let index = nextGenerationIndex
        nextGenerationIndex += 1
        if parentID == nil { projects[projectID] = SandboxProject() } else { projects[projectID]?.variations += 1 }
        if charged {
            remainingPhotos -= 1
            counters.photosSpent += 1
        }
        let range = configuration.completionTime
        let seconds = range.lowerBound + (range.upperBound - range.lowerBound) * draws.unit(.generation, index, 1)
        let generation = SandboxGeneration(
            id: draws.uuid(.generationID, index), index: index, projectID: projectID, webhook: webhook, charged: charged,
            endsFailed: configuration.faults.failingGenerations.contains(index) || draws.chance(configuration.faults.failure, .generation, index, 2),
            completionTime: .milliseconds(Int64(seconds * 1000)))
        generations[generation.id] = generation
        return (generation, remainingPhotos)
    }

    /// After this, generations stop moving and send no more callbacks.
    func stop() {
        stopped = true
        configuration.completionGate?.release()
        configuration.faults.hangGate?.release()
    }

    /// Moves a generation on; a FAILED one gives its photo back.
    func advance(_ id: UUID, imageBase: String) -> SandboxGeneration? {
        guard !stopped, var generation = generations[id] else { return nil }
        switch generation.status {
        case .starting:
            generation.status = .processing
        case .processing:
            if generation.endsFailed {
                generation.status = .failed
                if generation.charged {
                    remainingPhotos += 1
                    counters.photosRefunded += 1
                }
            } else {
                generation.status = .succeeded
                let id = generation.id.lowercaseString
                generation.images = ["\(imageBase)/images/\(id)/1.png", "\(imageBase)/images/\(id)/2.png"]
            }
        case .succeeded, .failed:
            return generation
        }
        generations[id] = generation
        return generation
    }

    func generation(_ id: UUID) -> SandboxGeneration? { generations[id] }

    /// How to answer a request for `file` of `generation`: nil (404) unless the generation SUCCEEDED and
    /// lists that file. A GET is counted and may meet the configured fault; a HEAD only describes the image.
    func answerImageRequest(generation: String, file: String, isGet: Bool) -> ImageAnswer? {
        if isGet { counters.imageRequests += 1 }
        guard let id = UUID(uuidString: generation), let generation = generations[id], generation.status == .succeeded,
              let listed = generation.images.firstIndex(where: { $0.hasSuffix("/images/\(id.lowercaseString)/\(file)") })
        else { return nil }
        let png = configuration.resultPNG(generationIndex: generation.index, imageNumber: listed + 1)
        guard isGet else { return ImageAnswer(png: png, fault: nil) }
        let url = generation.images[listed]
        counters.imageRequestsByURL[url, default: 0] += 1
        let fault = configuration.imageFaults.fault(forRequest: counters.imageRequestsByURL[url] ?? 0)
        if fault == nil { counters.imagesServed += 1 } else { counters.imageFaults += 1 }
        return ImageAnswer(png: png, fault: fault)
    }

    var webhooks: [UUID: String] { generations.compactMapValues(\.webhook) }

    func payload(of generation: SandboxGeneration) -> RetrievalPayload {
        RetrievalPayload(status: generation.status, images: generation.images,
                         variations: projects[generation.projectID]?.variations ?? 0,
                         generationID: generation.id, projectID: generation.projectID)
    }

    func recordRetrieval(of id: UUID) {
        counters.retrievalCallsByGeneration[id.lowercaseString, default: 0] += 1
    }

    /// Retrievals of each generation being answered now.
    private var retrievalsInFlight: [UUID: Int] = [:]

    /// A retrieval of `id` begins; one already in flight for it counts as an overlap.
    func retrievalBegan(of id: UUID) {
        if retrievalsInFlight[id, default: 0] > 0 {
            counters.overlappingRetrievals += 1
            counters.overlappingGenerations.insert(id.lowercaseString)
        }
        retrievalsInFlight[id, default: 0] += 1
    }

    func retrievalEnded(of id: UUID) {
        retrievalsInFlight[id, default: 1] -= 1
        if retrievalsInFlight[id] == 0 { retrievalsInFlight[id] = nil }
    }

    /// Decides (from the seed) what happens to the callback of `generation` at `status`.
    func drawCallbackFate(for generation: SandboxGeneration, status: UpstreamStatus) -> CallbackFate {
        let faults = configuration.faults
        let index = generation.index * 4 + (status.isTerminal ? 1 : 0)
        var fate = CallbackFate(generationID: generation.id, status: status)
        fate.dropped = draws.chance(faults.callbackDrop, .callback, index, 1)
        if !fate.dropped {
            fate.duplicated = draws.chance(faults.callbackDuplicate, .callback, index, 2)
            fate.delayed = draws.chance(faults.callbackDelayed, .callback, index, 3)
            fate.malformed = draws.chance(faults.callbackMalformed, .callback, index, 4)
            fate.reordered = status == .processing && draws.chance(faults.callbackReorder, .callback, generation.index * 4, 5)
        }
        fates.append(fate)
        if fate.dropped { counters.callbacksDropped += 1 }
        if fate.duplicated { counters.callbacksDuplicated += 1 }
        if fate.delayed { counters.callbacksDelayed += 1 }
        if fate.malformed { counters.callbacksMalformed += 1 }
        if fate.reordered { counters.callbacksReordered += 1 }
        return fate
    }
}

/// A result image to serve, and the fault to serve instead, if any.
struct ImageAnswer: Sendable {
    let png: PNGStream
    let fault: ImageFault?
}

/// A fault injected into an API call.
enum InjectedFault: Sendable {
    case rateLimited, serverError, unavailable, timeout
}
