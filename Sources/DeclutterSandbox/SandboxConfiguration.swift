import DeclutterAPI
import Foundation

/// Faults the sandbox injects, each a ratio in 0...1, drawn deterministically from the seed.
public struct SandboxFaults: Sendable, Equatable {
    /// Callbacks never sent.
    public var callbackDrop = 0.0
    /// Callbacks sent twice.
    public var callbackDuplicate = 0.0
    /// Generations whose PROCESSING callback is held back and sent after the terminal one.
    public var callbackReorder = 0.0
    /// Callbacks sent late, by `callbackDelay` more.
    public var callbackDelayed = 0.0
    public var callbackDelay: Duration = .milliseconds(200)
    /// Callbacks whose body is not valid JSON.
    public var callbackMalformed = 0.0
    /// API calls answered 429 with `Retry-After: retryAfter`.
    public var rateLimited = 0.0
    public var retryAfter = "1"
    /// API calls answered 500.
    public var serverError = 0.0
    /// API calls answered 503.
    public var unavailable = 0.0
    /// API calls held for `hang` before the answer (the caller is expected to time out first);
    /// a generate that hangs still spends its photo, as a real timeout would leave it.
    public var timeout = 0.0
    public var hang: Duration = .seconds(30)
    /// When set, a call that hangs waits at this gate instead of for `hang`, until the test releases it.
    public var hangGate: SandboxGate?
    /// Generations that end FAILED (and are refunded).
    public var failure = 0.0
    /// These generations (by the order they were created, from 0) end FAILED, whatever `failure` draws.
    public var failingGenerations: Set<UInt64> = []
    /// The endpoints the API faults (429, 500, 503, timeout) apply to.
    public var faultyEndpoints: Set<Endpoint> = Set(Endpoint.allCases)

    public init() {}
}

/// Everything the sandbox needs to run: account, quota, timings and faults.
public struct SandboxConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 0
    public var apiKey: String
    public var userID: UUID
    public var initialQuota = 100
    /// Variations free per project before they cost a photo.
    public var freeVariationsPerProject = 0
    public var seed: UInt64 = 1
    /// Time from STARTING to PROCESSING.
    public var startDelay: Duration = .seconds(2)
    /// How long each retrieval call is held before its answer: long enough, in a test, that two polls of one
    /// generation at once overlap and are counted (`overlappingRetrievals`).
    public var retrievalDelay: Duration = .zero
    /// Time from PROCESSING to the terminal state, drawn uniformly in this range.
    public var completionTime: ClosedRange<Double> = 5...20
    /// When set, every generation also waits at this gate before it ends, until the test releases it.
    public var completionGate: SandboxGate?
    /// Send a callback on PROCESSING as well as on the terminal state.
    public var callbackOnProgress = true
    /// Move to PROCESSING and deliver its callback before answering generate, so that callback beats the
    /// generate response (as a fast service can); the job then goes on as usual. A reordered PROCESSING
    /// callback is still held back until after the terminal one.
    public var callbackBeforeAnswer = false
    /// Call back for variations too. The service's published documentation gives generate-variation no
    /// `webhook`, so by default a variation is never called back, whatever the request carried.
    public var variationCallbacks = false
    /// How long a callback may take to be answered before it counts as a failed delivery.
    public var callbackTimeout: Duration = .seconds(10)
    public var faults = SandboxFaults()
    /// The size of every result image.
    public var resultImage = ResultImageShape.small
    /// Result images served broken, on request.
    public var imageFaults = ImageFaults()
    /// Fetch each generate's `image_url` (and each variation's `original_url`) before accepting it, as the service
    /// does: a photo that cannot be fetched is refused (400, nothing spent); what was fetched is in
    /// `SandboxCounters.inputsFetched`.
    public var fetchInputs = false

    public init(apiKey: String, userID: UUID) {
        self.apiKey = apiKey
        self.userID = userID
    }

    /// Millisecond timings, for tests.
    public static func fast(apiKey: String = "test-key", userID: UUID = UUID(), seed: UInt64 = 1) -> SandboxConfiguration {
        var configuration = SandboxConfiguration(apiKey: apiKey, userID: userID)
        configuration.seed = seed
        configuration.startDelay = .milliseconds(10)
        configuration.completionTime = 0.02...0.05
        configuration.faults.callbackDelay = .milliseconds(50)
        configuration.faults.hang = .milliseconds(500)
        configuration.faults.retryAfter = "0.02"
        return configuration
    }
}

extension SandboxConfiguration {
    /// The PNG served as image `imageNumber` (1 or 2) of the `generationIndex`-th generation (counting from 0):
    /// the same bytes for the same seed, different for another seed, generation or image.
    public func resultPNG(generationIndex: UInt64, imageNumber: Int) -> PNGStream {
        let imageSeed = SeededDraws(seed: seed).bits(.resultImage, generationIndex, UInt64(imageNumber))
        return PNGStream(pixels: SeededPixels(shape: resultImage, seed: imageSeed))
    }
}
