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
}
