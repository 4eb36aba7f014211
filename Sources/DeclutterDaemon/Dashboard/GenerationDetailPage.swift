import DeclutterStore
import Foundation

/// `GET /generations/{id}`: one generation with its pictures (side by side and as a slider), its variations, its
/// timeline of events and its webhook deliveries, and the actions an operator takes on it.
struct GenerationDetailPage: Sendable {
    struct Fact: Sendable {
        let name: String
        let value: String
        let isTime: Bool
    }

    struct Event: Sendable {
        let source: String
        let outcome: String
        let reason: String
        let hasReason: Bool
        let statusReported: String
        let receivedAt: String
        let rawBody: String
        let hasRawBody: Bool
    }

    struct Delivery: Sendable {
        let endpointID: Int64
        let messageID: Int64
        let type: String
        let status: String
        let attempts: Int
        let lastHTTPStatus: String
        let lastError: String
    }

    struct Sibling: Sendable {
        let id: Int64
        let status: String
        let kind: String
        let thumbnail: String
        let hasThumbnail: Bool
        let isCurrent: Bool
    }

    let frame = PageFrame("generation")
    let id: Int64
    let title: String
    let status: String
    let statusReason: String
    let hasStatusReason: Bool
    let facts: [Fact]
    let before: String
    let hasBefore: Bool
    let after: String
    let hasAfter: Bool
    let hasBoth: Bool
    let mask: String
    let hasMask: Bool
    let beforeLink: String
    let hasBeforeLink: Bool
    let maskLink: String
    let hasMaskLink: Bool
    let afterSource: String
    let hasAfterSource: Bool
    let canRefresh: Bool
    let siblings: [Sibling]
    let hasSiblings: Bool
    let events: [Event]
    let hasEvents: Bool
    let deliveries: [Delivery]
    let hasDeliveries: Bool

    init(_ view: GenerationView, events: [EventView], deliveries: [DeliveryView], project: [GenerationView]) {
        id = view.id
        title = view.generationID.map { "Generation \(view.id) (\($0))" } ?? "Generation \(view.id)"
        status = view.status
        statusReason = view.statusReason ?? ""
        hasStatusReason = view.statusReason != nil
        facts = Self.facts(view)
        let images = GenerationImages(view)
        before = images.before ?? ""
        hasBefore = images.before != nil
        after = images.after ?? ""
        hasAfter = images.after != nil
        hasBoth = images.before != nil && images.after != nil
        mask = images.mask ?? ""
        hasMask = images.mask != nil
        beforeLink = images.beforeLink ?? ""
        hasBeforeLink = images.beforeLink != nil
        maskLink = images.maskLink ?? ""
        hasMaskLink = images.maskLink != nil
        afterSource = images.afterSource ?? ""
        hasAfterSource = images.afterSource != nil
        canRefresh = view.generationID != nil
        siblings = project.map {
            let thumbnail = GenerationImages.archivedResult($0)
            return Sibling(id: $0.id, status: $0.status, kind: $0.kind, thumbnail: thumbnail ?? "", hasThumbnail: thumbnail != nil,
                           isCurrent: $0.id == view.id)
        }
        hasSiblings = project.count > 1
        self.events = events.map {
            Event(source: $0.source, outcome: $0.outcome, reason: $0.reason ?? "", hasReason: $0.reason != nil,
                  statusReported: $0.statusReported ?? "", receivedAt: $0.receivedAt, rawBody: $0.rawBody ?? "", hasRawBody: $0.rawBody != nil)
        }
        hasEvents = !events.isEmpty
        self.deliveries = deliveries.sorted { ($0.endpointID, $0.id) < ($1.endpointID, $1.id) }.map {
            Delivery(endpointID: $0.endpointID, messageID: $0.messageID, type: $0.type, status: $0.status, attempts: $0.attempts,
                     lastHTTPStatus: $0.lastHTTPStatus.map(String.init) ?? "", lastError: $0.lastError ?? "")
        }
        hasDeliveries = !deliveries.isEmpty
    }

    private static func facts(_ view: GenerationView) -> [Fact] {
        var facts: [Fact] = []
        func add(_ name: String, _ value: String?, time: Bool = false) {
            if let value { facts.append(Fact(name: name, value: value, isTime: time)) }
        }
        add("Kind", view.kind)
        add("Generation id", view.generationID)
        add("Project id", view.projectID)
        add("Parent generation", view.parentGenerationID)
        add("Image URL", view.imageURL)
        add("Mask URL", view.maskURL)
        add("Auto", view.auto.map { $0 ? "yes" : "no" })
        add("Variations", view.variations.map(String.init))
        add("Photos left", view.remainingPhotos.map(String.init))
        add("Refunded", view.refunded ? "yes" : "no")
        add("Resolved by", view.resolvedBy)
        add("Created", view.createdAt, time: true)
        add("Submitted", view.submittedAt, time: true)
        add("Updated", view.updatedAt, time: true)
        add("Completed", view.completedAt, time: true)
        add("Next poll", view.nextPollAt, time: true)
        add("Poll attempts", String(view.pollAttempts))
        return facts
    }
}
