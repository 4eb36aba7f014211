import DeclutterStore
import NIOCore

/// One uploaded file on its way into the archive: streamed to a temporary file and checked as it comes, kept only
/// once the whole request has been read and accepted (`keep`). Dropped before that, it leaves nothing behind (the
/// writer deletes its temporary file).
struct PendingUpload {
    let role: UploadRole
    let writer: ArchiveFileWriter

    /// The formats the service takes: an upload is handed to it as is.
    static let acceptedFormats: Set<ImageFormat> = [.jpeg, .png]

    /// What `image_url` / `mask_url` record for it: its SHA-256, known before the file is kept, so an idempotent
    /// replay can be told apart (and answered) without keeping anything.
    var reference: String { UploadedInput.reference(sha256: writer.sha256) }

    /// Appends a piece of the body; refuses (413, 415) as soon as the file is too large or shows a format the service
    /// does not take, before reading on.
    func write(_ buffer: ByteBuffer) throws {
        do { try writer.write(buffer) } catch { throw APIError.upload(error, role: role) }
        if let format = writer.recognisedFormat, !Self.acceptedFormats.contains(format) {
            writer.abandon()
            throw APIError.unsupportedImage("`\(role.rawValue)` is a \(format.displayName) image")
        }
    }

    /// Once the body is complete: not empty, a JPEG or PNG whose header gives its size. Everything `finish` could
    /// refuse about the image is refused here, so keeping one file never leaves it alone when the next is refused.
    func check() async throws {
        let file = "`\(role.rawValue)`"
        guard writer.bytesWritten > 0 else {
            writer.abandon()
            throw APIError.unsupportedImage("\(file) is empty")
        }
        guard let format = writer.recognisedFormat, Self.acceptedFormats.contains(format) else {
            writer.abandon()
            throw APIError.unsupportedImage("\(file) is not a JPEG or PNG image")
        }
        let path = writer.temporaryPath
        guard try await BlockingWork.run({ ImageDimensions.read(fileAt: path, format: format) != nil }) else {
            writer.abandon()
            throw APIError.upload(ArchiveRefusal.unreadableHeader(format), role: role)
        }
    }

    /// Syncs the file and moves it under its SHA-256 name in the archive.
    func keep() async throws -> LaunchInput {
        do {
            return LaunchInput(role: role, file: try await writer.finish().facts)
        } catch {
            throw APIError.upload(error, role: role)
        }
    }
}
