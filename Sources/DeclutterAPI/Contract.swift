import Foundation

/// The three upstream endpoints, relative to the configured base URL.
public enum Endpoint: String, Sendable, CaseIterable {
    case generate = "/api/declutter_total/generate"
    case generateVariation = "/api/declutter_total/generate-variation"
    case get = "/api/declutter_total/get"
}

/// Body of `POST /api/declutter_total/generate`.
public struct GenerateRequest: Codable, Sendable, Equatable {
    public var userID: UUID
    public var imageURL: String
    public var auto: Bool?
    public var maskURL: String?
    public var webhook: String?

    public init(userID: UUID, imageURL: String, auto: Bool? = nil, maskURL: String? = nil, webhook: String? = nil) {
        self.userID = userID
        self.imageURL = imageURL
        self.auto = auto
        self.maskURL = maskURL
        self.webhook = webhook
    }

    enum CodingKeys: String, CodingKey {
        case userID = "user_id", imageURL = "image_url", auto, maskURL = "mask_url", webhook
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeUUID(userID, forKey: .userID)
        try container.encode(imageURL, forKey: .imageURL)
        try container.encodeIfPresent(auto, forKey: .auto)
        try container.encodeIfPresent(maskURL, forKey: .maskURL)
        try container.encodeIfPresent(webhook, forKey: .webhook)
    }
}

/// Answer of `generate`: each generate opens a new project.
public struct GenerateResponse: Codable, Sendable, Equatable, RawAnswer {
    public var generationID: UUID
    public var remainingPhotos: Int
    public var projectID: UUID
    /// The bytes the service sent, for the audit trail (not part of the wire format).
    public var rawBody = Data()

    public init(generationID: UUID, remainingPhotos: Int, projectID: UUID) {
        self.generationID = generationID
        self.remainingPhotos = remainingPhotos
        self.projectID = projectID
    }

    enum CodingKeys: String, CodingKey {
        case generationID = "generation_id", remainingPhotos = "remaining_photos", projectID = "project_id"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeUUID(generationID, forKey: .generationID)
        try container.encode(remainingPhotos, forKey: .remainingPhotos)
        try container.encodeUUID(projectID, forKey: .projectID)
    }
}

/// Body of `POST /api/declutter_total/generate-variation`.
public struct GenerateVariationRequest: Codable, Sendable, Equatable {
    public var userID: UUID
    public var generationID: UUID
    public var originalURL: String
    public var maskURL: String?
    public var webhook: String?

    public init(userID: UUID, generationID: UUID, originalURL: String, maskURL: String? = nil, webhook: String? = nil) {
        self.userID = userID
        self.generationID = generationID
        self.originalURL = originalURL
        self.maskURL = maskURL
        self.webhook = webhook
    }

    enum CodingKeys: String, CodingKey {
        case userID = "user_id", generationID = "generation_id", originalURL = "original_url"
        case maskURL = "mask_url", webhook
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeUUID(userID, forKey: .userID)
        try container.encodeUUID(generationID, forKey: .generationID)
        try container.encode(originalURL, forKey: .originalURL)
        try container.encodeIfPresent(maskURL, forKey: .maskURL)
        try container.encodeIfPresent(webhook, forKey: .webhook)
    }
}

/// Answer of `generate-variation`: the new generation belongs to the parent's project.
public struct GenerateVariationResponse: Codable, Sendable, Equatable, RawAnswer {
    public var generationID: UUID
    public var remainingPhotos: Int
    /// Not documented upstream; decoded when the service sends it.
    public var projectID: UUID?
    /// The bytes the service sent, for the audit trail (not part of the wire format).
    public var rawBody = Data()

    public init(generationID: UUID, remainingPhotos: Int, projectID: UUID? = nil) {
        self.generationID = generationID
        self.remainingPhotos = remainingPhotos
        self.projectID = projectID
    }

    enum CodingKeys: String, CodingKey {
        case generationID = "generation_id", remainingPhotos = "remaining_photos", projectID = "project_id"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeUUID(generationID, forKey: .generationID)
        try container.encode(remainingPhotos, forKey: .remainingPhotos)
        if let projectID { try container.encodeUUID(projectID, forKey: .projectID) }
    }
}

/// Body of `POST /api/declutter_total/get`.
public struct RetrievalRequest: Codable, Sendable, Equatable {
    public var userID: UUID
    public var generationID: UUID

    public init(userID: UUID, generationID: UUID) {
        self.userID = userID
        self.generationID = generationID
    }

    enum CodingKeys: String, CodingKey {
        case userID = "user_id", generationID = "generation_id"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeUUID(userID, forKey: .userID)
        try container.encodeUUID(generationID, forKey: .generationID)
    }
}

/// An answer that keeps the bytes it was decoded from.
public protocol RawAnswer: Decodable {
    var rawBody: Data { get set }
}

extension UUID {
    /// UUIDs are written lowercase, as the service writes them: on the wire, in the database, in logs.
    public var lowercaseString: String { uuidString.lowercased() }
}

extension KeyedEncodingContainer {
    mutating func encodeUUID(_ uuid: UUID, forKey key: Key) throws {
        try encode(uuid.lowercaseString, forKey: key)
    }
}

/// Encoders and decoders for the upstream wire format, in one place.
public enum WireFormat {
    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}
