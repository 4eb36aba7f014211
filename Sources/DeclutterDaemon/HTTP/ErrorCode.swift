/// Every error code the two listeners answer with in `{"error": {"code", "message"}}`, in one list. The local API's
/// document (`openapi.yaml`) lists the same codes as the enum of its error schema, and `docs/local-api.md` tells when
/// each comes; `ErrorCodeTests` holds the three together. Besides these, three families, each from a list of its own:
/// `invalid_<field>` for a request field that breaks its rule (`RequestField`), a callback payload's broken rule on
/// the public listener (`PayloadRule`), and `http_<status>` for what the HTTP layer refuses before a route runs.
enum ErrorCode: String, CaseIterable, Sendable {
    // Both listeners
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case unsupportedMediaType = "unsupported_media_type"
    case unsupportedTransferCoding = "unsupported_transfer_coding"
    case storeUnavailable = "store_unavailable"
    case fileMissing = "file_missing"
    case rangeNotSatisfiable = "range_not_satisfiable"
    case internalError = "internal_error"

    // The public listener only
    case unknownCallback = "unknown_callback"
    case sourceNotAllowed = "source_not_allowed"
    case verificationUnavailable = "verification_unavailable"
    case unknownInput = "unknown_input"

    // The local API: its guard, its bodies, its launches
    case hostNotAllowed = "host_not_allowed"
    case crossOriginRefused = "cross_origin_refused"
    case bodyTooLarge = "body_too_large"
    case invalidJSON = "invalid_json"
    case invalidMask = "invalid_mask"
    case invalidIdempotencyKey = "invalid_idempotency_key"
    case idempotencyKeyReused = "idempotency_key_reused"
    case noPublicBaseURL = "no_public_base_url"
    case notPollable = "not_pollable"
    case parentNotSubmitted = "parent_not_submitted"
    case parentHasNoImageURL = "parent_has_no_image_url"
    case tooManyWaiters = "too_many_waiters"
    case tooManyStreams = "too_many_streams"
    case tooManyEndpoints = "too_many_endpoints"

    // The local API: uploads and archived files
    case invalidMultipart = "invalid_multipart"
    case tooLarge = "too_large"
    case unsupportedImage = "unsupported_image"
    case archiveUnavailable = "archive_unavailable"
    case parentImageNotKept = "parent_image_not_kept"
    case notArchived = "not_archived"
    case pruned

    // The local API: listings
    case listingReferenceReused = "listing_reference_reused"
    case notEnoughPhotos = "not_enough_photos"
    case duplicatePhotoName = "duplicate_photo_name"

    // The local API: keys, scopes and budgets
    case unauthorized
    case missingScope = "missing_scope"
    case budgetExhausted = "budget_exhausted"
    case keyExists = "key_exists"
    case tooManyKeys = "too_many_keys"
    case authOff = "auth_off"

    /// The codes only the public callback listener answers with: not in the local API's document.
    static let publicListenerOnly: Set<ErrorCode> = [.unknownCallback, .sourceNotAllowed, .verificationUnavailable, .unknownInput]

    /// Every code of the local API, the `invalid_<field>` family spelled out: what `openapi.yaml` lists.
    static var localAPICodes: [String] {
        allCases.filter { !publicListenerOnly.contains($0) }.map(\.rawValue) + RequestField.allCases.map(\.invalidCode)
    }
}

/// A field of a local API request (its JSON body, its query, its path, a form's text part), by the name the client
/// sends: `invalid_<name>` is the code when its value breaks its rule.
enum RequestField: String, CaseIterable, Sendable {
    case id
    case generationID = "generation_id"
    case projectID = "project_id"
    case endpointID = "endpoint_id"
    case messageID = "message_id"
    case imageURL = "image_url"
    case maskURL = "mask_url"
    case originalURL = "original_url"
    case auto
    case url
    case description
    case types
    case status
    case role
    case since
    case limit
    case cursor
    case wait
    case n
    case after
    case lastEventID = "last_event_id"
    case reference
    case photos
    case name
    case allowPartial = "allow_partial"
    case state
    case key
    case scopes
    case budget
    case grace

    var invalidCode: String { "invalid_" + rawValue }
}
