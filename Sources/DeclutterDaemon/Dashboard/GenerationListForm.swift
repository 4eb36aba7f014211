import DeclutterStore
import Foundation
import Hummingbird

/// The list page's query, read leniently: a value that does not parse is named in `problems` and left out of the
/// filter, so the page still renders (with the form showing what was typed) instead of answering a bare error.
struct GenerationListForm: Sendable {
    static let pageSize = 50

    var filter = GenerationFilter(limit: pageSize + 1)
    /// What was typed, by field, to show it again in the form and to carry it into the next-page link.
    var text: [String: String] = [:]
    var problems: [String] = []

    init(_ query: Parameters) {
        for name in ["status", "kind", "project_id", "since", "cursor"] {
            // An empty field (the form sends every field) filters nothing; a value is taken as typed, as the JSON list takes it.
            if let value = query[Substring(name)].map(String.init), !value.isEmpty { text[name] = value }
        }
        if let status = text["status"] {
            if let state = GenerationState(rawValue: status.uppercased()) { filter.status = state } else { problems.append("status: no such state") }
        }
        if let kind = text["kind"] {
            if let value = GenerationKind(rawValue: kind.lowercased()) { filter.kind = value } else { problems.append("kind: no such kind") }
        }
        if let project = text["project_id"] {
            if let id = UUID(uuidString: project) { filter.projectID = id } else { problems.append("project id: must be a UUID") }
        }
        if let since = text["since"] {
            if let date = RFC3339.date(since) { filter.since = date } else { problems.append("created since: must be an RFC 3339 time such as 2026-11-24T10:00:00Z") }
        }
        if let cursor = text["cursor"] {
            if let id = Int64(cursor), id > 0 { filter.before = id } else { problems.append("cursor: must be a positive integer") }
        }
    }

    /// No filter and no cursor: the page new generations appear on.
    var isUnfilteredFirstPage: Bool { text.isEmpty }

    /// This page's filters with `cursor`.
    func link(cursor: String) -> String {
        var fields = text
        fields["cursor"] = cursor
        let query = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.encode($0.value))" }.joined(separator: "&")
        return "/generations?" + query
    }

    private static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }
}
