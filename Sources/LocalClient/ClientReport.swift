import Foundation
import DeclutterWire

/// What the client commands print for people: tables and detail views built from the API's answers.
public enum ClientReport {
    // MARK: - Generations

    /// One row per generation: id, generation (short), status, kind, created, resolved by, images.
    public static func generations(_ generations: [LocalGeneration]) -> String {
        TableRenderer.render(
            header: ["ID", "GENERATION", "STATUS", "KIND", "CREATED", "RESOLVED BY", "IMAGES"],
            rows: generations.map { generation in
                [String(generation.id), shortID(generation.generationID), generation.status, generation.kind,
                 time(generation.createdAt), generation.resolvedBy ?? "-", String(generation.images.count)]
            },
            alignments: [.right, .left, .left, .left, .left, .left, .right])
    }

    /// Every field of one generation, one per line, image URLs included.
    public static func detail(_ generation: LocalGeneration) -> String {
        var pairs: [(String, String)] = [
            ("id", String(generation.id)),
            ("generation_id", generation.generationID ?? "-"),
            ("status", generation.status + (generation.statusReason.map { " (\($0))" } ?? "")),
            ("kind", generation.kind),
            ("project_id", generation.projectID ?? "-"),
        ]
        if let parent = generation.parentGenerationID { pairs.append(("parent", parent)) }
        pairs += [("image_url", generation.imageURL ?? "-"), ("mask_url", generation.maskURL ?? (generation.auto == true ? "auto" : "-"))]
        pairs.append(("images", String(generation.images.count)))
        pairs += generation.images.map { ("", $0) }
        if let variations = generation.variations { pairs.append(("variations", String(variations))) }
        if let remaining = generation.remainingPhotos { pairs.append(("remaining_photos", String(remaining))) }
        if generation.refunded { pairs.append(("refunded", "yes")) }
        pairs += [
            ("resolved_by", generation.resolvedBy ?? "-"),
            ("created", time(generation.createdAt)),
            ("updated", time(generation.updatedAt)),
            ("completed", generation.completedAt.map(time) ?? "-"),
        ]
        if generation.isPending { pairs.append(("next_poll", generation.nextPollAt.map(time) ?? "-")) }
        pairs.append(("poll_attempts", String(generation.pollAttempts)))
        return TableRenderer.keyValue(pairs)
    }

    /// A generation's audit trail, oldest first.
    public static func events(_ events: [LocalEvent]) -> String {
        TableRenderer.render(
            header: ["EVENT", "RECEIVED", "SOURCE", "HTTP", "OUTCOME", "STATUS", "REASON"],
            rows: events.map { event in
                let status = [event.statusBefore ?? "-", event.statusReported ?? "-"].joined(separator: " → ")
                return [String(event.id), time(event.receivedAt), event.source, event.httpStatus.map(String.init) ?? "-",
                        event.outcome, status, event.reason ?? ""]
            },
            alignments: [.right, .left, .left, .right])
    }

    // MARK: - Stats

    public static func stats(_ stats: LocalStats) -> String {
        let byState = GenerationState.allCases.map { $0.rawValue.lowercased() }
            .compactMap { state in stats.counts[state].flatMap { $0 > 0 ? "\(state) \($0)" : nil } }
        var pairs: [(String, String)] = [
            ("pending", String(stats.pending)),
            ("failed", String(stats.failed)),
            ("by state", byState.isEmpty ? "-" : byState.joined(separator: ", ")),
            ("remaining photos", stats.remainingPhotos.map { remaining in
                String(remaining) + (stats.remainingPhotosRecordedAt.map { " (as of \(time($0)))" } ?? "")
            } ?? "unknown"),
            ("refunds since then", String(stats.refundsSince)),
            ("resolved by callback", String(stats.resolvedBy.callback)),
            ("resolved by poll", String(stats.resolvedBy.poll)),
            ("oldest pending age", stats.oldestPendingAgeSeconds.map { DurationText.approximate(seconds: $0) } ?? "-"),
            ("polls in flight", String(stats.pollsInFlight)),
        ]
        pairs.append(("outcome unknown", String(stats.outcomeUnknown)))
        return TableRenderer.keyValue(pairs)
    }

    // MARK: - Pieces

    /// The first 8 characters of a generation UUID, `-` when there is none yet.
    public static func shortID(_ id: String?) -> String {
        id.map { String($0.prefix(8)) } ?? "-"
    }

    /// `2026-11-24T10:00:03.123Z` → `2026-11-24 10:00:03` (UTC, to the second).
    public static func time(_ timestamp: String) -> String {
        guard timestamp.count >= 19 else { return timestamp }
        return timestamp.prefix(19).replacingOccurrences(of: "T", with: " ")
    }

}

/// The `--wait` progress line: rewritten in place on a terminal, one line per status change otherwise.
public struct ProgressLine: Sendable {
    let inPlace: Bool
    private var lastStatus: String?
    private var lastWidth = 0

    public init(inPlace: Bool) {
        self.inPlace = inPlace
    }

    /// The text to write for this answer; nil when there is nothing new to say.
    public mutating func update(_ generation: LocalGeneration, elapsed: Double) -> String? {
        show("generation \(generation.id) (\(ClientReport.shortID(generation.generationID))): \(generation.status) after \(DurationText.approximate(seconds: elapsed))",
             state: generation.status)
    }

    /// `text` over the line drawn before, on a terminal; elsewhere a line of its own when `state` changed.
    mutating func show(_ text: String, state: String) -> String? {
        defer { lastStatus = state }
        if inPlace {
            let padding = String(repeating: " ", count: max(lastWidth - text.count, 0))
            lastWidth = text.count
            return "\r" + text + padding
        }
        return state == lastStatus ? nil : text + "\n"
    }

    /// What ends the progress: the newline an in-place line still lacks.
    public var finish: String { inPlace && lastWidth > 0 ? "\n" : "" }
}
