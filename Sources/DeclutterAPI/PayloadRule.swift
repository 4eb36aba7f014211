/// The rules a retrieval payload (a callback body or a `get` answer) must follow, in the order they are checked.
/// The raw value is the stable code sent back to the caller and stored with a rejected event.
public enum PayloadRule: String, Sendable, CaseIterable, Codable {
    case bodyTooLarge = "body.too_large"
    case bodyNotUTF8 = "body.not_utf8"
    case bodyNotJSON = "body.not_json"
    case bodyNotObject = "body.not_object"
    case statusMissing = "status.missing"
    case statusInvalid = "status.invalid"
    case imagesAliasConflict = "images.alias_conflict"
    case imagesNotArray = "images.not_array"
    case imagesInvalidURL = "images.invalid_url"
    case imagesMissing = "images.missing"
    case imagesUnexpected = "images.unexpected"
    case variationsAliasConflict = "variations.alias_conflict"
    case variationsInvalid = "variations.invalid"
    case generationIDInvalid = "generation_id.invalid"
    case generationIDMismatch = "generation_id.mismatch"
    case projectIDInvalid = "project_id.invalid"

    /// One sentence a sender can act on.
    public var explanation: String {
        switch self {
        case .bodyTooLarge: "the body must be at most \(RetrievalPayloadValidator.maximumBodySize) bytes"
        case .bodyNotUTF8: "the body must be UTF-8 text"
        case .bodyNotJSON: "the body must be a JSON document"
        case .bodyNotObject: "the body must be a JSON object"
        case .statusMissing: "`status` is required"
        case .statusInvalid: "`status` must be one of STARTING, PROCESSING, SUCCEEDED, FAILED"
        case .imagesAliasConflict: "only one of `images`, `output`, `image_urls` may be present"
        case .imagesNotArray: "`images` must be an array of URLs"
        case .imagesInvalidURL: "every image must be an absolute http(s) URL"
        case .imagesMissing: "a SUCCEEDED payload needs a non-empty `images` array"
        case .imagesUnexpected: "`images` must be absent, null or empty unless the status is SUCCEEDED"
        case .variationsAliasConflict: "only one of `variations`, `variations_count`, `nb_variations` may be present"
        case .variationsInvalid: "`variations` must be an integer greater than or equal to 0"
        case .generationIDInvalid: "`generation_id` must be a UUID"
        case .generationIDMismatch: "`generation_id` must be the generation this callback URL belongs to"
        case .projectIDInvalid: "`project_id` must be a UUID"
        }
    }
}

/// Why a payload was refused: the rule and a sentence naming it.
public struct PayloadViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public let rule: PayloadRule
    public let message: String

    public init(_ rule: PayloadRule, detail: String? = nil) {
        self.rule = rule
        self.message = detail.map { "\(rule.explanation) (\($0))" } ?? rule.explanation
    }

    public var description: String { "\(rule.rawValue): \(message)" }
}
