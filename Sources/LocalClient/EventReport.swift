import DeclutterWire
import Foundation

extension ClientReport {
    /// One line per event for people: sequence, time, type, the generation (local id and short UUID) and its status;
    /// for `quota.low` the reading instead.
    ///
    ///     1234  2026-11-26 08:30:00  generation.succeeded  42 3f2a1b9c  SUCCEEDED
    public static func event(_ event: LocalStreamEvent) -> String {
        let body = try? JSONDecoder().decode(StreamEventBody.self, from: Data(event.data.utf8))
        let data = body?.data
        var columns = [EventColumn.right(event.id ?? "-", 6), body.map { time($0.timestamp) } ?? "-", EventColumn.left(event.type, 20)]
        if let remaining = data?.remainingPhotos {
            columns.append("remaining_photos \(remaining)" + (data?.threshold.map { " (threshold \($0))" } ?? ""))
        } else {
            columns.append(EventColumn.left([data?.id.map(String.init), shortID(data?.generationID)].compactMap { $0 }.joined(separator: " "), 13))
            if let status = data?.status { columns.append(status + (data?.statusReason.map { " (\($0))" } ?? "")) }
        }
        return columns.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
}

/// What a line needs of a message body: `{"type", "timestamp", "data": {...}}`.
private struct StreamEventBody: Decodable {
    struct Payload: Decodable {
        let id: Int64?
        let generationID: String?
        let status: String?
        let statusReason: String?
        let remainingPhotos: Int?
        let threshold: Int?

        enum CodingKeys: String, CodingKey {
            case id, generationID = "generation_id", status, statusReason = "status_reason", remainingPhotos = "remaining_photos", threshold
        }
    }

    let timestamp: String
    let data: Payload?
}

/// Fixed-width columns.
private enum EventColumn {
    static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
