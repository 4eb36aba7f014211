import DeclutterStore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `GET /v1/listings/{reference}/results.zip`: each archived result of each photo's newest generation, named after the
/// photo (`ResultNames`), and `manifest.json` saying what is there and what is missing and why. Streamed: one chunk of
/// one file is in memory at a time, whatever the listing's size (`ZipStream` stores the files as they are: they are
/// PNG, JPEG or WebP already).
enum ResultsArchive {
    struct Entry: Sendable {
        let name: String
        let file: ArchivedFileFacts
    }

    struct Contents: Sendable {
        let manifest: ResultsManifest
        let entries: [Entry]
    }

    /// What the zip holds, decided before its first byte is sent: a file not in the archive folder (and not in the
    /// store either, with PostgreSQL) is listed as missing.
    static func contents(of detail: ListingDetail, copies: ArchiveCopies) async throws -> Contents {
        var names = ResultNames()
        var files: [ResultsManifest.File] = []
        var entries: [Entry] = []
        var missing: [ResultsManifest.Missing] = []
        for photo in detail.photos {
            let generation = photo.launchPending ? nil : photo.generation.flatMap { detail.generations[$0] }
            guard let generation, let row = generation.id, generation.status == .succeeded else {
                missing.append(ResultsManifest.Missing(
                    photo: photo.name, generation: generation?.id, status: generation?.status.rawValue ?? ListingPhotoView.queued,
                    reason: generation.map { $0.statusReason ?? "the generation is \($0.status.rawValue)" } ?? "not launched yet"))
                continue
            }
            for image in detail.files[row]?.images ?? [] {
                guard image.state == .archived, let file = image.file else {
                    missing.append(ResultsManifest.Missing(photo: photo.name, generation: row, status: image.state.rawValue,
                                                           reason: "image \(image.position) is \(LocalAPIController.progress(of: image))"))
                    continue
                }
                try await copies.fetchIfMissing(file)
                guard copies.directory.contains(sha256: file.sha256) else {
                    missing.append(ResultsManifest.Missing(photo: photo.name, generation: row, status: image.state.rawValue,
                                                           reason: "image \(image.position) is not in the archive folder"))
                    continue
                }
                let name = names.name(photo: photo.name, index: image.position, contentType: file.contentType)
                files.append(ResultsManifest.File(name: name, photo: photo.name, generation: row, index: image.position, sha256: file.sha256, bytes: file.bytes))
                entries.append(Entry(name: name, file: file))
            }
        }
        let manifest = ResultsManifest(reference: detail.listing.reference, state: detail.listing.state.rawValue, files: files, missing: missing)
        return Contents(manifest: manifest, entries: entries)
    }

    static let manifestName = "manifest.json"

    /// What a zip without ZIP64 holds at most: its files and, for each, its headers (about 150 bytes with its name).
    static let largestZip: Int64 = 0xFFFF_FFFF - 1

    /// Refuses (413) results that would not fit in one zip, before its first byte: the sizes are all known.
    static func checkSize(_ contents: Contents) throws {
        let total = contents.entries.reduce(Int64(1 << 20)) { $0 + $1.file.bytes + 200 + Int64($1.name.utf8.count) * 2 }
        guard total <= largestZip else {
            throw APIError(.contentTooLarge, code: .tooLarge,
                           message: "the results (\(total) bytes) are more than one zip holds (4 GiB): copy them with `declutterd listing fetch`")
        }
    }

    static func response(_ contents: Contents, directory: ArchiveDirectory, reference: String, at date: Date, logger: Logger) -> Response {
        let body = ResponseBody { writer in
            var zip = ZipStream()
            let manifest = ByteBuffer(bytes: try PublicJSON.encode(contents.manifest))
            try await writer.write(try zip.beginEntry(named: manifestName, modified: date))
            try zip.add(manifest)
            try await writer.write(manifest)
            try await writer.write(try zip.endEntry())
            for entry in contents.entries {
                let path = directory.path(forSHA256: entry.file.sha256)
                guard let file = try await OpenFile.open(path) else {
                    // Removed since the manifest was written (retention): the zip ends short, and the client sees it.
                    logger.warning("an archived result went while its zip was streamed", metadata: ["sha256": "\(entry.file.sha256)"])
                    throw FileSystemGone(path: path)
                }
                try await writer.write(try zip.beginEntry(named: entry.name, modified: date))
                if file.size > 0 {
                    try await file.forEachChunk(of: 0...(file.size - 1)) { chunk in
                        try zip.add(chunk)
                        try await writer.write(chunk)
                    }
                }
                try await writer.write(try zip.endEntry())
            }
            try await writer.write(try zip.finish())
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [
            .contentType: "application/zip", .contentDisposition: "attachment; filename=\"\(reference).zip\"",
        ], body: body)
    }

    struct FileSystemGone: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is gone" }
    }
}
