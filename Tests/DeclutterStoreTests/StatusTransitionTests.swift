import DeclutterAPI
import DeclutterStore
import TestSupport
import Testing

@Suite("Status transition (docs/states.md)")
struct StatusTransitionTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let current: GenerationState
        let reported: UpstreamStatus
        let outcome: EventOutcome
        var testDescription: String { "\(current.rawValue) + \(reported.rawValue) → \(outcome.rawValue)" }

        init(_ current: GenerationState, _ reported: UpstreamStatus, _ outcome: EventOutcome) {
            self.current = current
            self.reported = reported
            self.outcome = outcome
        }
    }

    /// Every (state × reported status) pair, written out.
    static let table: [Row] = [
        // SUBMITTING sits below every upstream status: it accepts any.
        Row(.submitting, .starting, .applied), Row(.submitting, .processing, .applied),
        Row(.submitting, .succeeded, .applied), Row(.submitting, .failed, .applied),
        Row(.starting, .starting, .duplicate), Row(.starting, .processing, .applied),
        Row(.starting, .succeeded, .applied), Row(.starting, .failed, .applied),
        Row(.processing, .starting, .stale), Row(.processing, .processing, .duplicate),
        Row(.processing, .succeeded, .applied), Row(.processing, .failed, .applied),
        // Terminal states are final: a different terminal status is a conflict.
        Row(.succeeded, .starting, .stale), Row(.succeeded, .processing, .stale),
        Row(.succeeded, .succeeded, .duplicate), Row(.succeeded, .failed, .conflict),
        Row(.failed, .starting, .stale), Row(.failed, .processing, .stale),
        Row(.failed, .succeeded, .conflict), Row(.failed, .failed, .duplicate),
        // Upstream refused the submission: any report about it contradicts that.
        Row(.rejected, .starting, .conflict), Row(.rejected, .processing, .conflict),
        Row(.rejected, .succeeded, .conflict), Row(.rejected, .failed, .conflict),
        // LOST accepts any status: a late answer revives it.
        Row(.lost, .starting, .applied), Row(.lost, .processing, .applied),
        Row(.lost, .succeeded, .applied), Row(.lost, .failed, .applied),
    ]

    @Test(arguments: table)
    func outcome(_ row: Row) {
        #expect(StatusTransition.outcome(current: row.current, reported: row.reported) == row.outcome)
    }

    @Test func tableCoversEveryPairOnce() {
        let pairs = Set(Self.table.map { "\($0.current.rawValue)/\($0.reported.rawValue)" })
        #expect(pairs.count == GenerationState.allCases.count * UpstreamStatus.allCases.count)
        #expect(Self.table.count == 28)
    }
}
