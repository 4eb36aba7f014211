import DeclutterStore
import Foundation

/// `GET /endpoints`: each webhook endpoint's health and the two actions that mend one. Built from `EndpointView`,
/// which has no secret field, so no secret can reach the page.
struct EndpointsPage: Sendable {
    struct Row: Sendable {
        let id: Int64
        let state: String
        let isEnabled: Bool
        let url: String
        let description: String
        let types: String
        let disabledReason: String
        let failingSince: String
        let isFailing: Bool
        let attempts: Int
        let failures: Int
    }

    let frame = PageFrame("endpoints")
    let rows: [Row]
    let hasRows: Bool
    /// The recovery form's default: a day ago, as RFC 3339.
    let recoverSince: String
    let attemptWindow: Int

    init(_ endpoints: [EndpointView], attempts: [Int64: EndpointAttemptCounts], attemptWindow: Int, now: Date) {
        rows = endpoints.map {
            let counts = attempts[$0.id] ?? EndpointAttemptCounts()
            return Row(id: $0.id, state: $0.enabled ? ($0.failingSince == nil ? "enabled" : "failing") : "disabled", isEnabled: $0.enabled,
                       url: $0.url, description: $0.description ?? "", types: $0.types?.joined(separator: ", ") ?? "every type",
                       disabledReason: $0.disabledReason ?? "", failingSince: $0.failingSince ?? "", isFailing: $0.failingSince != nil,
                       attempts: counts.attempts, failures: counts.failures)
        }
        hasRows = !endpoints.isEmpty
        recoverSince = StoreFormat.timestamp(now.addingTimeInterval(-86_400))
        self.attemptWindow = attemptWindow
    }

    static let template = """
        {{<layout}}
        {{$title}}Endpoints{{/title}}
        {{$main}}
        <h1>Endpoints</h1>
        <div class="field"><label for="recover-since">Recover failed deliveries of messages since</label>
        <input id="recover-since" name="since" value="{{recoverSince}}" autocomplete="off"></div>
        <div class="table-wrap">
        <table id="endpoints">
        <caption>Attempts count the latest {{attemptWindow}} delivery attempts to all endpoints.</caption>
        <thead><tr><th scope="col">Id</th><th scope="col">State</th><th scope="col">URL</th><th scope="col">Types</th><th scope="col">Failing since</th><th scope="col">Recent attempts</th><th scope="col">Recent failures</th><th scope="col">Actions</th></tr></thead>
        <tbody>
        {{#rows}}<tr data-endpoint-id="{{id}}" data-state="{{state}}">
        <td>{{id}}</td>
        <td class="state">{{state}}{{^isEnabled}} <span class="reason">{{disabledReason}}</span>{{/isEnabled}}</td>
        <td class="url">{{url}}<br><small>{{description}}</small></td>
        <td>{{types}}</td>
        <td>{{#isFailing}}<time datetime="{{failingSince}}">{{failingSince}}</time>{{/isFailing}}</td>
        <td class="attempts">{{attempts}}</td>
        <td class="failures">{{failures}}</td>
        <td><button class="enable" type="button" data-endpoint-id="{{id}}"{{#isEnabled}} disabled{{/isEnabled}}>Enable</button>
        <button class="recover" type="button" data-endpoint-id="{{id}}">Recover</button></td>
        </tr>
        {{/rows}}</tbody>
        </table>
        </div>
        {{^hasRows}}<p id="no-endpoints">No endpoints. Add one with <code>declutterd endpoints add URL</code> or <code>POST /v1/endpoints</code>.</p>{{/hasRows}}
        {{/main}}
        {{/layout}}
        """
}
