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

    static let template = """
        {{<layout}}
        {{$title}}Generation {{id}}{{/title}}
        {{$main}}
        <article id="generation" data-generation-id="{{id}}">
        <h1>{{title}}</h1>
        <p>Status: <span id="status" data-status="{{status}}">{{status}}</span>{{#hasStatusReason}} <span id="status-reason">{{statusReason}}</span>{{/hasStatusReason}}</p>
        <div class="actions">
        {{#canRefresh}}<button id="refresh" type="button" data-generation-id="{{id}}">Refresh now</button>{{/canRefresh}}
        <button id="vary" type="button" data-generation-id="{{id}}">Ask for a variation</button>
        </div>
        <section aria-labelledby="pictures-heading">
        <h2 id="pictures-heading">Before and after</h2>
        <div class="side-by-side">
        {{#hasBefore}}<figure><img class="before-side" src="{{before}}" alt="Before: the original photo of generation {{id}}"><figcaption>Before</figcaption></figure>{{/hasBefore}}
        {{#hasAfter}}<figure><img class="after-side" src="{{after}}" alt="After: the first result of generation {{id}}"><figcaption>After</figcaption></figure>{{/hasAfter}}
        {{#hasMask}}<figure><img id="mask" src="{{mask}}" alt="The mask of generation {{id}}"><figcaption>Mask</figcaption></figure>{{/hasMask}}
        </div>
        {{^hasBefore}}{{#hasBeforeLink}}<p id="before-link">Original photo (not kept by the daemon): <a href="{{beforeLink}}" rel="noreferrer noopener" target="_blank">{{beforeLink}}</a></p>{{/hasBeforeLink}}{{^hasBeforeLink}}<p>No original photo to show.</p>{{/hasBeforeLink}}{{/hasBefore}}
        {{#hasMaskLink}}<p id="mask-link">Mask (not kept by the daemon): <a href="{{maskLink}}" rel="noreferrer noopener" target="_blank">{{maskLink}}</a></p>{{/hasMaskLink}}
        {{^hasAfter}}<p id="no-after">{{#hasAfterSource}}Result not archived (yet): <code id="after-source">{{afterSource}}</code>{{/hasAfterSource}}{{^hasAfterSource}}No result image yet.{{/hasAfterSource}}</p>{{/hasAfter}}
        {{#hasBoth}}
        <div id="compare" class="compare">
        <img id="before" src="{{before}}" alt="Before: the original photo">
        <img id="after" src="{{after}}" alt="After: the result">
        </div>
        <label class="slider-label" for="slider">Before and after</label>
        <input type="range" id="slider" min="0" max="100" value="50" aria-label="Before and after">
        {{/hasBoth}}
        </section>
        <section aria-labelledby="facts-heading">
        <h2 id="facts-heading">Details</h2>
        <dl id="facts" class="facts">
        {{#facts}}<div><dt>{{name}}</dt><dd>{{#isTime}}<time datetime="{{value}}">{{value}}</time>{{/isTime}}{{^isTime}}{{value}}{{/isTime}}</dd></div>
        {{/facts}}</dl>
        </section>
        {{#hasSiblings}}
        <section aria-labelledby="variations-heading">
        <h2 id="variations-heading">Same project</h2>
        <ul id="variations" class="thumbnails">
        {{#siblings}}<li><a href="/generations/{{id}}"{{#isCurrent}} aria-current="page"{{/isCurrent}}>{{#hasThumbnail}}<img src="{{thumbnail}}" alt="Generation {{id}}, {{status}}" loading="lazy">{{/hasThumbnail}}<span>{{id}} · {{kind}} · {{status}}</span></a></li>
        {{/siblings}}</ul>
        </section>
        {{/hasSiblings}}
        <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        <ol id="timeline">
        {{#events}}<li><time datetime="{{receivedAt}}">{{receivedAt}}</time> <span class="source">{{source}}</span> <span class="outcome">{{outcome}}</span>{{#statusReported}} <span class="reported">{{statusReported}}</span>{{/statusReported}}{{#hasReason}} <span class="reason">{{reason}}</span>{{/hasReason}}
        {{#hasRawBody}}<details><summary>Raw body</summary><pre>{{rawBody}}</pre></details>{{/hasRawBody}}</li>
        {{/events}}</ol>
        {{^hasEvents}}<p>No events yet.</p>{{/hasEvents}}
        </section>
        <section aria-labelledby="deliveries-heading">
        <h2 id="deliveries-heading">Deliveries</h2>
        <div class="table-wrap"><table id="deliveries">
        <thead><tr><th scope="col">Endpoint</th><th scope="col">Message</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last HTTP status</th><th scope="col">Last error</th><th scope="col">Action</th></tr></thead>
        <tbody>
        {{#deliveries}}<tr data-endpoint-id="{{endpointID}}" data-message-id="{{messageID}}"><td>{{endpointID}}</td><td>{{messageID}}</td><td>{{type}}</td><td class="status">{{status}}</td><td>{{attempts}}</td><td>{{lastHTTPStatus}}</td><td>{{lastError}}</td>
        <td><button class="redeliver" type="button" data-message-id="{{messageID}}" data-endpoint-id="{{endpointID}}">Redeliver</button></td></tr>
        {{/deliveries}}</tbody>
        </table></div>
        {{^hasDeliveries}}<p id="no-deliveries">No deliveries.</p>{{/hasDeliveries}}
        </section>
        </article>
        {{/main}}
        {{/layout}}
        """
}
