import DeclutterStore
import Foundation

/// A generation's files with every field set, in each state: for the schema checks.
enum ArchiveViewSamples {
    static func files(of generation: GenerationRecord, now: Date) -> GenerationFiles {
        let row = generation.id ?? 1
        let file = ArchivedFileFacts(sha256: String(repeating: "ab", count: 32), bytes: 1_048_576, contentType: "image/png", width: 640, height: 480)
        var archived = ImageRecord(generation: row, position: 0, sourceURL: "https://cdn.example.com/out/1.png", at: now)
        archived.keep(file, at: now)
        archived.attempts = 1
        var failed = ImageRecord(generation: row, position: 1, sourceURL: "https://cdn.example.com/out/2.png", at: now)
        failed.state = .failed
        failed.attempts = 6
        failed.nextAttemptAt = nil
        failed.lastHTTPStatus = 404
        failed.lastError = "HTTP 404"
        let pending = ImageRecord(generation: row, position: 2, sourceURL: "https://cdn.example.com/out/3.png", at: now)
        var mask = UploadRecord(generation: row, role: .mask, tokenHash: "hash", file: file, createdAt: now)
        mask.prunedAt = now
        return GenerationFiles(images: [archived, failed, pending],
                               uploads: [UploadRecord(generation: row, role: .image, tokenHash: "hash", file: file, createdAt: now), mask])
    }
}
