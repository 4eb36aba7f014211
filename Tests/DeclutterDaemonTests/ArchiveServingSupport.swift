import Crypto
import DeclutterSandbox
@testable import DeclutterDaemon
@testable import DeclutterStore
import Foundation
import TestSupport
import Testing

/// What the tests of the archive's file routes share (the harness's daemon downloads the sandbox's images): a
/// generation whose images have settled in the archive, and a generation with an uploaded photo.
enum ArchiveServing {
    /// Lowercase hex SHA-256.
    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// A small real PNG (its header is read for the dimensions when it is archived), unlike any the sandbox serves.
    static func png(seed: UInt64 = 99) -> Data {
        Data(SandboxConfiguration.fast(seed: seed).resultPNG(generationIndex: 0, imageNumber: 1).bytes())
    }
}

extension Harness {
    /// Submits a generation and waits until it SUCCEEDED and none of its images is pending any more; returns the
    /// record as `GET /v1/generations/{id}` then shows it (with `archive`).
    func settledInArchive(timeout: Duration = .seconds(60)) async throws -> [String: Any] {
        let row = try E2E.row(try await submit())
        var record: [String: Any] = [:]
        let settled = try await eventually(timeout: timeout, "the generation's images settled in the archive") {
            record = try await local("GET", "/v1/generations/\(row)").json
            let archive = record["archive"] as? [[String: Any]] ?? []
            return record["status"] as? String == "SUCCEEDED" && !archive.isEmpty && archive.allSatisfy { $0["state"] as? String != "pending" }
        }
        guard settled else { throw HarnessError("generation \(row) did not settle in the archive: \(record)") }
        return record
    }

    /// Keeps `data` in the daemon's archive and records a generation (SUBMITTING, never sent upstream) that has it as
    /// its uploaded photo. Returns the generation's local id.
    func generationWithUpload(_ data: Data, role: UploadRole = .image) async throws -> Int64 {
        let writer = try daemon.daemon.archiveDirectory.makeWriter(maxBytes: 1 << 24)
        try data.withUnsafeBytes { try writer.write($0) }
        let file = try await writer.finish()
        let facts = ArchivedFileFacts(sha256: file.sha256, bytes: file.bytes, contentType: file.contentType,
                                      width: file.dimensions.width, height: file.dimensions.height)
        let request = SubmissionRequest(kind: .generation, imageURL: UploadedInput.reference(sha256: file.sha256), auto: true,
                                        uploads: [UploadedInput(role: role, tokenHash: ArchiveServing.sha256(Data(UUID().uuidString.utf8)), file: facts)])
        guard case .new(let record) = try await database.beginSubmission(request, at: Date()), let row = record.id else {
            throw HarnessError("the upload's generation was not recorded")
        }
        return row
    }

    /// Marks every upload of generation `row` pruned, as retention does.
    func pruneUploads(of row: Int64) async throws {
        try await HarnessSQL.execute(database, "UPDATE uploads SET pruned_at = ? WHERE generation = ?", [.date(Date()), .integer(row)])
    }
}
