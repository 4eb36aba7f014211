import Foundation

/// A retrieval payload that passed every rule; `images` is empty unless the status is SUCCEEDED.
public struct RetrievalPayload: Sendable, Equatable {
    public var status: UpstreamStatus
    public var images: [String]
    public var variations: Int?
    public var generationID: UUID?
    public var projectID: UUID?

    public init(status: UpstreamStatus, images: [String] = [], variations: Int? = nil, generationID: UUID? = nil, projectID: UUID? = nil) {
        self.status = status
        self.images = images
        self.variations = variations
        self.generationID = generationID
        self.projectID = projectID
    }

    /// The canonical JSON form (the names of the retrieval schema).
    public var jsonObject: [String: Any] {
        var object: [String: Any] = ["status": status.rawValue]
        if !images.isEmpty { object["images"] = images }
        if let variations { object["variations"] = variations }
        if let generationID { object["generation_id"] = generationID.lowercaseString }
        if let projectID { object["project_id"] = projectID.lowercaseString }
        return object
    }

    /// The canonical JSON bytes.
    public func encoded() -> Data {
        (try? JSONSerialization.data(withJSONObject: jsonObject, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
