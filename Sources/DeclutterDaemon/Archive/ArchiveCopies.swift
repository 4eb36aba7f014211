import Crypto
import DeclutterFiles
import DeclutterStore
import Foundation

/// The archive folder and the store together. With SQLite the folder holds the one copy of every file and this does
/// nothing. With PostgreSQL the database holds every file's contents, so that any instance serves any file with no
/// shared folder; each instance's folder is its own cache: a file it wrote goes to the database before any row refers
/// to it, and a file it lacks comes from the database before it is served.
struct ArchiveCopies: Sendable {
    let store: any Store
    let directory: ArchiveDirectory

    /// After `file` is in the folder under its SHA-256: its contents go to the store too (PostgreSQL).
    func keep(_ file: ArchivedFileFacts, at date: Date) async throws {
        guard store.keepsFileContents else { return }
        let path = directory.path(forSHA256: file.sha256)
        let contents = try await BlockingWork.run { try Data(contentsOf: URL(fileURLWithPath: path)) }
        try await store.keepFileContents(file, contents, at: date)
    }

    /// Before `file` is served: brings it from the store when the folder lacks it (PostgreSQL). Contents that do
    /// not hash to the name are not written; the responder then answers as for any missing file.
    func fetchIfMissing(_ file: ArchivedFileFacts) async throws {
        guard store.keepsFileContents, ArchiveDirectory.isSHA256(file.sha256), !directory.contains(sha256: file.sha256),
              let contents = try await store.fileContents(sha256: file.sha256),
              SHA256.hash(data: contents).hexString == file.sha256.lowercased() else { return }
        let directory = self.directory
        try await BlockingWork.run {
            try FileSystem.makeDirectories(directory.temporaryPath)
            let temporary = "\(directory.temporaryPath)/\(FileSystem.randomName()).fetched"
            guard FileManager.default.createFile(atPath: temporary, contents: contents) else {
                throw FileSystemError("write", temporary, errno: errno)
            }
            let descriptor = open(temporary, O_RDONLY | O_CLOEXEC)
            let synced = descriptor >= 0 && fsync(descriptor) == 0
            if descriptor >= 0 { close(descriptor) }
            guard synced else {
                unlink(temporary)
                throw FileSystemError("sync", temporary, errno: errno)
            }
            try directory.place(temporary, sha256: file.sha256)
        }
    }
}
