import DeclutterWire
import Foundation

/// Where a photo (or a mask) to submit is: a URL the service fetches, or a file on this machine the daemon keeps
/// and hands to the service.
public enum PhotoSource: Sendable, Equatable {
    case url(String)
    case file(path: String)

    /// An `http://` or `https://` address is a URL; anything else is a path.
    public init(_ text: String) {
        let lowered = text.lowercased()
        self = lowered.hasPrefix("http://") || lowered.hasPrefix("https://") ? .url(text) : .file(path: text)
    }
}

extension LocalAPIClient {
    /// `POST /v1/generations` with the photo from disk: a `multipart/form-data` form streamed from the files (docs/
    /// archive.md, "Submitting a photo from disk"). The mask may be a file or a URL. Retried like `submit` under its
    /// `idempotencyKey`, reading the files again; a file that cannot be read is a usage error.
    public func submit(imageFile: String, auto: Bool, mask: PhotoSource?, idempotencyKey: String? = nil) async throws -> LocalReply<LocalGeneration> {
        var form = MultipartFileBody()
        do throws(LocalFileError) {
            try form.addFile(name: "image", path: imageFile)
            switch mask {
            case .file(let path)?: try form.addFile(name: "mask", path: path)
            case .url(let url)?: form.addText(name: "mask_url", value: url)
            case nil: break
            }
        } catch {
            throw LocalClientError(.usage, code: "unreadable_file", message: error.description)
        }
        if auto { form.addText(name: "auto", value: "true") }
        form.close()
        let body = OutgoingBody(contentType: form.contentType) { [form] in form.body() }
        return try await launch("/v1/generations", body: body, idempotencyKey: idempotencyKey)
    }
}
