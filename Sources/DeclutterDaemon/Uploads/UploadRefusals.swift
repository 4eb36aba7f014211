import DeclutterFiles
import DeclutterStore
import Foundation

/// How the local API refuses an upload: JSON errors whose code and message name the rule that was broken.
extension APIError {
    /// 413 `too_large`: a file (or a form's declared length) over `archive.max_bytes`.
    static func uploadTooLarge(_ what: String, limit: Int) -> APIError {
        APIError(.contentTooLarge, code: .tooLarge, message: "\(what) is larger than archive.max_bytes (\(limit) bytes)")
    }

    /// 415 `unsupported_image`: not a JPEG or PNG the service can take, and why.
    static func unsupportedImage(_ message: String) -> APIError {
        APIError(.unsupportedMediaType, code: .unsupportedImage, message: message + ": the service takes JPEG or PNG only")
    }

    /// 400 `invalid_multipart`: the form breaks a rule of its own (its shape, its parts, its bounds).
    static func invalidForm(_ message: String) -> APIError {
        APIError(.badRequest, code: .invalidMultipart, message: message)
    }

    /// 503 `archive_unavailable`: the archive directory could not take the file (a full disk, a permission).
    static func archiveUnavailable(_ error: FileSystemError) -> APIError {
        APIError(.serviceUnavailable, code: .archiveUnavailable, message: "the archive cannot keep the upload: \(error.description)")
    }

    /// What an archive writer's error on the `role` file of an upload answers.
    static func upload(_ error: any Error, role: UploadRole) -> any Error {
        let file = "`\(role.rawValue)`"
        switch error {
        case ArchiveRefusal.tooLarge(let limit):
            return uploadTooLarge(file, limit: limit)
        case ArchiveRefusal.notAnImage(let prefix):
            return unsupportedImage("\(file) is not a JPEG or PNG image (starts with \(ArchiveRefusal.describe(prefix)))")
        case ArchiveRefusal.empty:
            return unsupportedImage("\(file) is empty")
        case ArchiveRefusal.unreadableHeader(let format):
            return unsupportedImage("\(file) is a \(format.displayName) image whose dimensions cannot be read")
        case let error as FileSystemError:
            return archiveUnavailable(error)
        default:
            return error
        }
    }
}
