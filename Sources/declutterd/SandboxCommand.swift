import ArgumentParser
import DeclutterSandbox
import Foundation

/// `declutterd sandbox`: the local stand-in for the Decluttering API.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Serve a local stand-in for the Decluttering API, with fault knobs deterministic under a seed.")

    @Option(help: "Port to listen on (127.0.0.1); 0 picks a free one.") var port = 8789
    @Option(help: "Seed for every fault and timing draw.") var seed: UInt64 = 1
    @Option(help: "The API key clients must send (default: a random one).") var apiKey: String?
    @Option(help: "The account's user id (default: a random UUID).") var userId: String?
    @Option(help: "Photos in the account's quota.") var quota = 100
    @Option(help: "Variations free per project before they cost a photo.") var freeVariations = 0
    @Option(help: "Milliseconds from STARTING to PROCESSING.") var startMs = 2000
    @Option(help: "Milliseconds each retrieval call is held before its answer; two retrievals of one generation that overlap are counted (GET /sandbox/counters: overlappingRetrievals).")
    var retrievalDelayMs = 0
    @Option(help: "Shortest PROCESSING time, in milliseconds.") var minCompletionMs = 5000
    @Option(help: "Longest PROCESSING time, in milliseconds.") var maxCompletionMs = 20000
    @Option(help: "Ratio of callbacks dropped.") var drop = 0.0
    @Option(help: "Ratio of callbacks sent twice.") var duplicate = 0.0
    @Option(help: "Ratio of generations whose PROCESSING callback comes after the terminal one.") var reorder = 0.0
    @Option(help: "Ratio of callbacks delayed by --delay-ms.") var delayed = 0.0
    @Option(help: "Extra delay of delayed callbacks, in milliseconds.") var delayMs = 2000
    @Option(help: "Ratio of callbacks with a malformed body.") var malformed = 0.0
    @Option(help: "Ratio of API calls answered 429.") var rateLimit = 0.0
    @Option(help: "Retry-After sent with 429, in seconds.") var retryAfter = "1"
    @Option(help: "Ratio of API calls answered 500.") var serverError = 0.0
    @Option(help: "Ratio of API calls answered 503.") var unavailable = 0.0
    @Option(help: "Ratio of API calls held for --hang-ms before answering.") var timeout = 0.0
    @Option(help: "How long a timed-out call is held, in milliseconds.") var hangMs = 30000
    @Option(help: "Ratio of generations that end FAILED (and are refunded).") var failure = 0.0
    @Flag(help: "Call back for variations too (the service's documentation promises no callback for them).") var variationCallbacks = false
    @Flag(help: "Fetch each generate's image_url (and variation's original_url) as the service does; refuse (400) one that cannot be fetched.")
    var fetchInputs = false
    @Option(help: "Result image size: WIDTHxHEIGHT, or a byte count for a square PNG of about that size.",
            transform: Self.imageShape) var imageSize = ResultImageShape.small
    @Option(help: "Serve result images broken: not-found, html, slow:MS, oversized:BYTES, redirect:URL or truncated.",
            transform: Self.imageFault) var imageFault: ImageFault?
    @Option(help: "Only the first N requests of each image meet --image-fault, later ones are served whole.") var imageFailFirst: Int?

    func validate() throws {
        let ratios = [("drop", drop), ("duplicate", duplicate), ("reorder", reorder), ("delayed", delayed), ("malformed", malformed),
                      ("rate-limit", rateLimit), ("server-error", serverError), ("unavailable", unavailable), ("timeout", timeout), ("failure", failure)]
        for (name, ratio) in ratios where !(0...1).contains(ratio) {
            throw ValidationError("--\(name) must be a ratio between 0 and 1")
        }
        guard rateLimit + serverError + unavailable + timeout <= 1 else {
            throw ValidationError("--rate-limit, --server-error, --unavailable and --timeout must add up to at most 1")
        }
        guard minCompletionMs >= 0, maxCompletionMs >= minCompletionMs else {
            throw ValidationError("--max-completion-ms must be at least --min-completion-ms (and both ≥ 0)")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        if let userId, UUID(uuidString: userId) == nil { throw ValidationError("--user-id must be a UUID") }
        if let imageFailFirst, imageFailFirst < 0 { throw ValidationError("--image-fail-first must be at least 0") }
    }

    static func imageShape(_ text: String) throws -> ResultImageShape {
        let sides = text.split(separator: "x").compactMap { Int($0) }
        if sides.count == 2, sides.allSatisfy({ (1...16384).contains($0) }) { return ResultImageShape(width: sides[0], height: sides[1]) }
        if sides.count == 1, !text.contains("x"), (100...(1 << 30)).contains(sides[0]) { return .square(ofAboutBytes: sides[0]) }
        throw ValidationError("--image-size must be WIDTHxHEIGHT (sides 1 to 16384) or a byte count (100 to 1073741824)")
    }

    static func imageFault(_ text: String) throws -> ImageFault {
        let (name, value) = text.firstIndex(of: ":").map { (text[..<$0], String(text[text.index(after: $0)...])) } ?? (text[...], "")
        switch (name, Int(value)) {
        case ("not-found", _): return .notFound
        case ("html", _): return .html
        case ("truncated", _): return .truncated
        case ("slow", let milliseconds?) where milliseconds >= 0: return .slow(.milliseconds(milliseconds))
        case ("oversized", let bytes?) where bytes > 8: return .oversized(bytes: bytes)
        case ("redirect", _) where !value.isEmpty: return .redirect(to: value)
        default: throw ValidationError("--image-fault must be not-found, html, slow:MS, oversized:BYTES, redirect:URL or truncated")
        }
    }

    func run() async throws {
        let sandbox = Sandbox(configuration: makeConfiguration())
        let key = sandbox.configuration.apiKey
        let user = sandbox.configuration.userID.lowercaseString
        try await sandbox.run { url in
            Terminal.line("sandbox listening on \(url) api_key=\(key) user_id=\(user)")
        }
    }

    func makeConfiguration() -> SandboxConfiguration {
        var configuration = SandboxConfiguration(
            apiKey: apiKey ?? "sk-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""),
            userID: userId.flatMap(UUID.init(uuidString:)) ?? UUID())
        configuration.port = port
        configuration.seed = seed
        configuration.variationCallbacks = variationCallbacks
        configuration.fetchInputs = fetchInputs
        configuration.initialQuota = quota
        configuration.freeVariationsPerProject = freeVariations
        configuration.startDelay = .milliseconds(startMs)
        configuration.retrievalDelay = .milliseconds(retrievalDelayMs)
        configuration.completionTime = Double(minCompletionMs) / 1000...Double(maxCompletionMs) / 1000
        var faults = SandboxFaults()
        faults.callbackDrop = drop
        faults.callbackDuplicate = duplicate
        faults.callbackReorder = reorder
        faults.callbackDelayed = delayed
        faults.callbackDelay = .milliseconds(delayMs)
        faults.callbackMalformed = malformed
        faults.rateLimited = rateLimit
        faults.retryAfter = retryAfter
        faults.serverError = serverError
        faults.unavailable = unavailable
        faults.timeout = timeout
        faults.hang = .milliseconds(hangMs)
        faults.failure = failure
        configuration.faults = faults
        configuration.resultImage = imageSize
        configuration.imageFaults = ImageFaults(imageFault, failFirst: imageFailFirst)
        return configuration
    }
}
