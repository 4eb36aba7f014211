import DeclutterStore
import Foundation

/// `GET /generations`: the generations newest first, 50 a page, filtered as the form says.
struct GenerationListPage: Sendable {
    struct Row: Sendable {
        let id: Int64
        let status: String
        let kind: String
        let generationID: String
        let projectID: String
        /// The first block of the project's UUID: enough to tell projects apart in a narrow column.
        let projectShort: String
        let hasProject: Bool
        let createdAt: String
        let imageURL: String
    }

    struct Option: Sendable {
        let value: String
        let selected: Bool
    }

    let frame = PageFrame("generations")
    let rows: [Row]
    let hasRows: Bool
    let statusOptions: [Option]
    let kindOptions: [Option]
    let projectID: String
    let since: String
    /// Set on the unfiltered first page, where app.js inserts new generations at the top.
    let isLive: Bool
    let hasNext: Bool
    let nextLink: String
    let problems: [String]
    let hasProblems: Bool

    init(_ form: GenerationListForm, generations: [GenerationView], nextCursor: String?) {
        rows = generations.map {
            Row(id: $0.id, status: $0.status, kind: $0.kind, generationID: $0.generationID ?? "", projectID: $0.projectID ?? "",
                projectShort: String(($0.projectID ?? "").prefix(8)), hasProject: $0.projectID != nil, createdAt: $0.createdAt, imageURL: $0.imageURL ?? "")
        }
        hasRows = !rows.isEmpty
        statusOptions = GenerationState.allCases.map { Option(value: $0.rawValue, selected: form.filter.status == $0) }
        kindOptions = GenerationKind.allCases.map { Option(value: $0.rawValue, selected: form.filter.kind == $0) }
        projectID = form.text["project_id"] ?? ""
        since = form.text["since"] ?? ""
        isLive = form.isUnfilteredFirstPage
        hasNext = nextCursor != nil
        nextLink = nextCursor.map { form.link(cursor: $0) } ?? ""
        problems = form.problems
        hasProblems = !form.problems.isEmpty
    }

    static let template = """
        {{<layout}}
        {{$title}}Generations{{/title}}
        {{$main}}
        <h1>Generations</h1>
        <form id="filters" method="get" action="/generations">
        <div class="field"><label for="filter-status">Status</label>
        <select id="filter-status" name="status"><option value="">any</option>
        {{#statusOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/statusOptions}}
        </select></div>
        <div class="field"><label for="filter-kind">Kind</label>
        <select id="filter-kind" name="kind"><option value="">any</option>
        {{#kindOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/kindOptions}}
        </select></div>
        <div class="field"><label for="filter-project">Project id</label>
        <input id="filter-project" name="project_id" value="{{projectID}}" placeholder="UUID" autocomplete="off"></div>
        <div class="field"><label for="filter-since">Created since</label>
        <input id="filter-since" name="since" value="{{since}}" placeholder="2026-11-24T10:00:00Z" autocomplete="off"></div>
        <div class="field"><button type="submit">Filter</button> <a href="/generations">Clear</a></div>
        </form>
        {{#hasProblems}}<ul id="filter-problems" class="problems">{{#problems}}<li>{{.}}</li>{{/problems}}</ul>{{/hasProblems}}
        <div class="table-wrap">
        <table id="generations" data-live="{{isLive}}">
        <caption>Newest first</caption>
        <thead><tr><th scope="col">Id</th><th scope="col">Status</th><th scope="col">Kind</th><th scope="col">Created</th><th scope="col">Project</th><th scope="col">Image</th></tr></thead>
        <tbody>
        {{#rows}}<tr data-generation-id="{{id}}" data-status="{{status}}">
        <td><a href="/generations/{{id}}">{{id}}</a></td>
        <td class="status">{{status}}</td>
        <td class="kind">{{kind}}</td>
        <td><time datetime="{{createdAt}}">{{createdAt}}</time></td>
        <td class="project">{{#hasProject}}<a href="/generations?project_id={{projectID}}" title="{{projectID}}">{{projectShort}}</a>{{/hasProject}}</td>
        <td class="url">{{imageURL}}</td>
        </tr>
        {{/rows}}</tbody>
        </table>
        </div>
        {{^hasRows}}<p id="empty">No generations match.</p>{{/hasRows}}
        {{#hasNext}}<p><a id="next-page" rel="next" href="{{nextLink}}">Next page</a></p>{{/hasNext}}
        {{/main}}
        {{/layout}}
        """
}
