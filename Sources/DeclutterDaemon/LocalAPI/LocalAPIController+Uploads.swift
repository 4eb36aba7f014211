import DeclutterStore
import Hummingbird

/// `POST /v1/generations` with a photo from disk (docs/archive.md, "Submitting a photo from disk"), and the
/// variations that reuse it.
extension LocalAPIController {
    /// A form, or the photo as the body: every refusal comes before a file is kept, so a refused upload leaves
    /// neither a row nor a file (the temporary files go with their writers).
    func submitUpload(_ request: Request, as type: UploadMediaType, options: UploadReader.QueryOptions, keyName: String?) async throws -> Response {
        try await answeringRefusals {
            // The cheap refusals first, before a byte is read.
            guard submitter.publicBaseURL() != nil else { throw SubmissionRefusal.noPublicBaseURL }
            let key = try Self.idempotencyKey(request)
            let form = try await uploads.read(request, as: type, options: options)
            guard let image = form.image else { throw APIError.invalidForm("the form has no `image` file part") }
            var launch = LaunchRequest(imageURL: image.reference, auto: form.auto, maskURL: form.mask?.reference ?? form.maskURL,
                                       parent: nil, idempotencyKey: key, keyName: keyName)
            // A retry of an upload already made: its files are kept already, so this copy is dropped.
            if let first = try await submitter.replay(of: launch) { return try await accepted(first, replayed: true) }
            // A spent budget refuses before the file is kept (the transaction that records the launch checks again).
            try await database.refuseSpentBudget(ofKey: keyName, needed: 1, at: now())
            launch.inputs = try await form.keep()
            for input in launch.inputs { try await copies.keep(input.file, at: now()) }
            let (record, replayed) = try await submitter.launch(launch)
            return try await accepted(record, replayed: replayed)
        }
    }

    /// A variation whose original is the parent's upload (`upload:<sha256>`) hands the service the same file under
    /// a token of its own; a URL needs nothing.
    func reusedInputs(original: String) async throws -> [LaunchInput] {
        guard let sha256 = UploadedInput.sha256(ofReference: original) else { return [] }
        let file = try await database.uploadedFile(sha256: sha256)
        if let file { try await copies.fetchIfMissing(file) }
        guard let file, uploads.directory.contains(sha256: sha256) else {
            throw APIError(.conflict, code: .parentImageNotKept,
                           message: "the parent's uploaded photo is no longer kept (retention.images): give original_url")
        }
        return [LaunchInput(role: .image, file: file)]
    }
}
