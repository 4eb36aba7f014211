import DeclutterWire
import Foundation

// What the delivery commands print for people. An endpoint's secret is printed by `secretNotice` alone,
// after a create or a rotation: never in a table.

extension ClientReport {
    // MARK: - Endpoints

    /// One row per endpoint: id, state, types, failing since, URL, description.
    public static func endpoints(_ endpoints: [LocalEndpointRecord]) -> String {
        TableRenderer.render(
            header: ["ID", "STATE", "TYPES", "FAILING SINCE", "URL", "DESCRIPTION"],
            rows: endpoints.map { endpoint in
                [String(endpoint.id), endpoint.enabled ? "enabled" : "disabled", types(endpoint.types),
                 endpoint.failingSince.map(time) ?? "-", endpoint.url, endpoint.description ?? ""]
            },
            alignments: [.right])
    }

    /// Every field of one endpoint, one per line (no secret).
    public static func endpointDetail(_ endpoint: LocalEndpointRecord) -> String {
        var pairs: [(String, String)] = [
            ("id", String(endpoint.id)),
            ("url", endpoint.url),
            ("description", endpoint.description ?? "-"),
            ("types", types(endpoint.types)),
            ("state", endpoint.enabled ? "enabled" : "disabled" + (endpoint.disabledReason.map { " (\($0))" } ?? "")),
            ("failing since", endpoint.failingSince.map(time) ?? "-"),
        ]
        if let expiry = endpoint.previousSecretExpiresAt { pairs.append(("previous secret signs until", time(expiry))) }
        pairs += [("created", time(endpoint.createdAt)), ("updated", time(endpoint.updatedAt))]
        return TableRenderer.keyValue(pairs)
    }

    /// The secret of a new or rotated endpoint, set apart, with what to do with it.
    public static func secretNotice(_ created: LocalEndpointWithSecret, rotated: Bool) -> String {
        var lines = [endpointDetail(created.endpoint), "", "secret: \(created.secret)", ""]
        lines.append("This secret is shown only now: give it to the receiving app, which verifies each webhook-signature with it.")
        if rotated, let expiry = created.endpoint.previousSecretExpiresAt {
            lines.append("The previous secret keeps signing beside it until \(time(expiry)) UTC.")
        }
        return lines.joined(separator: "\n")
    }

    static func types(_ types: [String]?) -> String {
        types.map { $0.joined(separator: ",") } ?? "all"
    }

    // MARK: - Deliveries

    /// One row per delivery, newest first.
    public static func deliveries(_ deliveries: [LocalDelivery]) -> String {
        TableRenderer.render(
            header: ["ID", "MESSAGE", "TYPE", "GENERATION", "ENDPOINT", "STATUS", "ATTEMPTS", "NEXT ATTEMPT", "LAST"],
            rows: deliveries.map { delivery in
                [String(delivery.id), String(delivery.messageID), delivery.type, delivery.generation.map(String.init) ?? "-",
                 String(delivery.endpointID), delivery.status, String(delivery.attempts), delivery.nextAttemptAt.map(time) ?? "-",
                 last(delivery)]
            },
            alignments: [.right, .right, .left, .right, .right, .left, .right])
    }

    /// One delivery, then its attempts, oldest first.
    public static func deliveryDetail(_ detail: LocalDeliveryDetail) -> String {
        let delivery = detail.delivery
        let pairs: [(String, String)] = [
            ("id", String(delivery.id)),
            ("message", "\(delivery.messageID) (\(delivery.webhookID))"),
            ("type", delivery.type),
            ("generation", delivery.generation.map(String.init) ?? "-"),
            ("endpoint", String(delivery.endpointID)),
            ("status", delivery.status),
            ("attempts", String(delivery.attempts)),
            ("next attempt", delivery.nextAttemptAt.map(time) ?? "-"),
            ("last attempt", delivery.lastAttemptAt.map(time) ?? "-"),
            ("last result", last(delivery)),
            ("created", time(delivery.createdAt)),
            ("updated", time(delivery.updatedAt)),
        ]
        let attempts = TableRenderer.render(
            header: ["ATTEMPT", "AT", "HTTP", "LATENCY", "ERROR", "RESPONSE"],
            rows: detail.attempts.map { attempt in
                [String(attempt.attempt), time(attempt.attemptedAt), attempt.httpStatus.map(String.init) ?? "-",
                 attempt.latencyMS.map { "\($0)ms" } ?? "-", attempt.error ?? "", oneLine(attempt.response ?? "", limit: 60)]
            },
            alignments: [.right, .left, .right, .right])
        return TableRenderer.keyValue(pairs) + "\n\n" + attempts
    }

    /// The last attempt's outcome: `HTTP 503`, the error, or `-`.
    static func last(_ delivery: LocalDelivery) -> String {
        let status = delivery.lastHTTPStatus.map { "HTTP \($0)" }
        return [status, delivery.lastError.map { oneLine($0, limit: 60) }].compactMap { $0 }.joined(separator: ": ").nonEmpty ?? "-"
    }

    /// Control characters (newlines included) as spaces, cut to `limit` characters.
    static func oneLine(_ text: String, limit: Int) -> String {
        let flat = String(text.map { $0.isNewline || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true ? " " : $0 })
        return flat.count > limit ? String(flat.prefix(limit - 1)) + "…" : flat
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
