import Foundation

/// Checks a raw retrieval payload against every rule of the retrieval schema (docs/contract.md).
/// Pure: bytes in, a payload or the first broken rule out.
public enum RetrievalPayloadValidator {
    public static let maximumBodySize = 65_536
    static let imageKeys = ["images", "output", "image_urls"]
    static let variationKeys = ["variations", "variations_count", "nb_variations"]

    /// Validates `body`; `expectedGenerationID` is the generation the callback URL belongs to, when known.
    public static func validate(_ body: some Collection<UInt8>, expectedGenerationID: UUID? = nil) -> Result<RetrievalPayload, PayloadViolation> {
        do {
            return .success(try payload(from: body, expectedGenerationID: expectedGenerationID))
        } catch {
            return .failure(error)
        }
    }

    /// Throwing form of `validate`.
    public static func payload(from body: some Collection<UInt8>, expectedGenerationID: UUID? = nil) throws(PayloadViolation) -> RetrievalPayload {
        let object = try jsonObject(from: body)
        let status = try status(in: object)
        let images = try images(in: object, status: status)
        let variations = try variations(in: object)
        let generationID = try uuid(object["generation_id"], rule: .generationIDInvalid)
        let projectID = try uuid(object["project_id"], rule: .projectIDInvalid)
        let payload = RetrievalPayload(status: status, images: images, variations: variations, generationID: generationID, projectID: projectID)
        try checkGenerationID(payload, expected: expectedGenerationID).get()
        return payload
    }

    /// The one rule that needs context: a payload's `generation_id` must be the generation its URL belongs to.
    public static func checkGenerationID(_ payload: RetrievalPayload, expected: UUID?) -> Result<Void, PayloadViolation> {
        guard let reported = payload.generationID, let expected, reported != expected else { return .success(()) }
        return .failure(PayloadViolation(.generationIDMismatch, detail: "expected \(expected.lowercaseString)"))
    }

    static func jsonObject(from body: some Collection<UInt8>) throws(PayloadViolation) -> [String: JSONValue] {
        guard body.count <= maximumBodySize else {
            throw PayloadViolation(.bodyTooLarge, detail: "got \(body.count) bytes")
        }
        let bytes = Array(body)
        guard String(validating: bytes, as: UTF8.self) != nil else { throw PayloadViolation(.bodyNotUTF8) }
        guard let value = try? JSONParser.parse(bytes) else { throw PayloadViolation(.bodyNotJSON) }
        guard case .object(let object) = value else { throw PayloadViolation(.bodyNotObject) }
        return object
    }

    static func status(in object: [String: JSONValue]) throws(PayloadViolation) -> UpstreamStatus {
        guard let value = object["status"], !value.isNull else { throw PayloadViolation(.statusMissing) }
        guard case .string(let text) = value, let status = UpstreamStatus(rawValue: text) else {
            throw PayloadViolation(.statusInvalid)
        }
        return status
    }

    static func images(in object: [String: JSONValue], status: UpstreamStatus) throws(PayloadViolation) -> [String] {
        let value = try aliased(imageKeys, in: object, conflict: .imagesAliasConflict)
        var urls: [String] = []
        if let value, !value.isNull {
            guard case .array(let elements) = value else { throw PayloadViolation(.imagesNotArray) }
            for (index, element) in elements.enumerated() {
                guard case .string(let url) = element, isAbsoluteHTTPURL(url) else {
                    throw PayloadViolation(.imagesInvalidURL, detail: "element \(index)")
                }
                urls.append(url)
            }
        }
        if status == .succeeded, urls.isEmpty { throw PayloadViolation(.imagesMissing) }
        if status != .succeeded, !urls.isEmpty { throw PayloadViolation(.imagesUnexpected) }
        return urls
    }

    static func variations(in object: [String: JSONValue]) throws(PayloadViolation) -> Int? {
        guard let value = try aliased(variationKeys, in: object, conflict: .variationsAliasConflict), !value.isNull else {
            return nil
        }
        guard let count = value.wholeNumber, count >= 0, let variations = Int(exactly: count) else {
            throw PayloadViolation(.variationsInvalid)
        }
        return variations
    }

    /// The value under whichever alias is present; more than one present breaks `conflict`.
    static func aliased(_ keys: [String], in object: [String: JSONValue], conflict: PayloadRule) throws(PayloadViolation) -> JSONValue? {
        let present = keys.filter { object[$0] != nil }
        guard present.count <= 1 else { throw PayloadViolation(conflict, detail: present.joined(separator: ", ")) }
        return present.first.flatMap { object[$0] }
    }

    static func uuid(_ value: JSONValue?, rule: PayloadRule) throws(PayloadViolation) -> UUID? {
        guard let value, !value.isNull else { return nil }
        guard case .string(let text) = value, isCanonicalUUID(text), let uuid = UUID(uuidString: text) else {
            throw PayloadViolation(rule)
        }
        return uuid
    }

    /// 8-4-4-4-12 hexadecimal digits, either case.
    public static func isCanonicalUUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return groups.allSatisfy { $0.allSatisfy(\.isHexDigit) && $0.allSatisfy(\.isASCII) }
    }
}
