import Foundation
import GRDB

// MARK: - Writes: adopting generations created elsewhere

extension AppDatabase {
    /// Adopts a generation created elsewhere (`track`): polled like any other, from `firstPollAt`.
    /// Returns the existing record, and `false`, when the generation is already known.
    public func track(generationID: UUID, at date: Date, firstPollAt: Date) async throws -> (GenerationRecord, created: Bool) {
        try await write { db in
            if let known = try GenerationRecord.find(.generationID(generationID), in: db) { return (known, false) }
            var generation = GenerationRecord.tracked(generationID, at: date, firstPollAt: firstPollAt)
            try generation.insertAnnounced(at: date, in: db)
            return (generation, true)
        }
    }
}
