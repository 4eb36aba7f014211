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
}
