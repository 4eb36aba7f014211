import DeclutterAPI
import DeclutterStore
import HTTPTypes
import Hummingbird
import NIOCore

/// What an upload request carries once read: its files, checked but not kept yet, and its options.
struct UploadForm {
    var image: PendingUpload?
    var mask: PendingUpload?
    var auto: Bool?
    var maskURL: String?

    /// Keeps the files in the archive, photo first. Called once the request is accepted.
    func keep() async throws -> [LaunchInput] {
        var kept: [LaunchInput] = []
        for file in [image, mask].compactMap({ $0 }) { kept.append(try await file.keep()) }
        return kept
    }
}

/// Reads an upload off `POST /v1/generations` (docs/archive.md, "Submitting a photo from disk"): a
/// `multipart/form-data` form, or the photo itself as the body with its options in the query. Each file streams into
/// the archive's temporary folder under `archive.max_bytes`; the form around the files is bounded by `limits`.
struct UploadReader: Sendable {
    let directory: ArchiveDirectory
    /// `archive.max_bytes`, for each file.
    let maxBytes: Int
    var limits = MultipartLimits.standard

    /// The names a form's parts may have; a form has each at most once.
    static let fileParts: [String: UploadRole] = ["image": .image, "mask": .mask]
    static let textParts: Set<String> = ["auto", "mask_url"]

    /// `options`: the query's, for a photo sent as the body.
    func read(_ request: Request, as type: UploadMediaType, options: QueryOptions) async throws -> UploadForm {
        switch type {
        case .rawImage: try await readImageBody(request, options: options)
        case .form(let boundary): try await readForm(request, boundary: boundary)
        }
    }

    /// The options of a photo sent as the body, `?auto=true` or `?mask_url=…`.
    struct QueryOptions {
        var auto: Bool?
        var maskURL: String?

        /// Checked on every submission, whatever its body, so a wrong one is never silently ignored.
        init(_ request: Request) throws {
            let query = request.uri.queryParameters
            auto = try UploadReader.auto(query["auto"].map(String.init))
            maskURL = try UploadReader.maskURL(query["mask_url"].map(String.init))
        }
    }

    /// The photo is the body, its options in the query. The photo is read first: what the options lack is only
    /// worth saying about a photo the service could take.
    private func readImageBody(_ request: Request, options: QueryOptions) async throws -> UploadForm {
        if let length = Self.declaredLength(request), length > maxBytes { throw APIError.uploadTooLarge("the image", limit: maxBytes) }
        let image = try makeFile(.image)
        for try await buffer in request.body { try image.write(buffer) }
        try await image.check()
        let form = UploadForm(image: image, auto: options.auto, maskURL: options.maskURL)
        try Self.requireMask(form)
        return form
    }

    private func readForm(_ request: Request, boundary: String?) async throws -> UploadForm {
        guard let boundary, var scanner = MultipartScanner(boundary: boundary, limits: limits) else {
            throw APIError.invalidForm("multipart/form-data needs a boundary parameter of 1 to 70 characters")
        }
        if let length = Self.declaredLength(request), length > 2 * maxBytes + limits.overheadBytes {
            throw APIError(.contentTooLarge, code: .tooLarge,
                           message: "the form is larger than two files of archive.max_bytes (\(maxBytes) bytes each) and its fields")
        }
        var form = UploadForm()
        var seen: Set<String> = []
        try await scanner.read(request.body, into: &form, textLimit: limits.textBytes) { head, _ in
            guard seen.insert(head.name).inserted else { throw APIError.invalidForm("the form has more than one `\(head.name)` part") }
            return try makePart(head)
        }
        guard form.image != nil else { throw APIError.invalidForm("the form has no `image` file part") }
        guard form.mask == nil || form.maskURL == nil else {
            throw APIError(.badRequest, code: .invalidMask, message: "give a `mask` file or a `mask_url`, not both")
        }
        try Self.requireMask(form)
        return form
    }

    private func makePart(_ head: MultipartPartHead) throws -> UploadFormPart {
        if let role = Self.fileParts[head.name] { return .file(try makeFile(role)) }
        guard Self.textParts.contains(head.name) else {
            throw APIError.invalidForm("unknown part `\(head.name.prefix(100))`: a form has the file parts image and mask and the text parts auto and mask_url")
        }
        return .text(name: head.name, bytes: [])
    }

    func makeFile(_ role: UploadRole) throws -> PendingUpload {
        do {
            return PendingUpload(role: role, writer: try directory.makeWriter(maxBytes: maxBytes))
        } catch {
            throw APIError.upload(error, role: role)
        }
    }

    /// A part of a form being read: a file streaming into the archive, or a short text field.
    private enum UploadFormPart: FormPart {
        case file(PendingUpload)
        case text(name: String, bytes: [UInt8])

        mutating func append(_ buffer: ByteBuffer, limit: Int) throws {
            switch self {
            case .file(let file):
                try file.write(buffer)
            case .text(let name, var bytes):
                guard bytes.count + buffer.readableBytes <= limit else {
                    throw APIError.invalidForm("the text part `\(name)` is at most \(limit) bytes")
                }
                bytes.append(contentsOf: buffer.readableBytesView)
                self = .text(name: name, bytes: bytes)
            }
        }

        func end(into form: inout UploadForm) async throws {
            switch self {
            case .file(let file):
                try await file.check()
                if file.role == .image { form.image = file } else { form.mask = file }
            case .text(let name, let bytes):
                let text = String(decoding: bytes, as: UTF8.self)
                if name == "auto" { form.auto = try UploadReader.auto(text) } else { form.maskURL = try UploadReader.maskURL(text) }
            }
        }
    }

    // MARK: - The options, as the JSON body has them

    static func auto(_ text: String?) throws -> Bool? { try flag(text, .auto) }

    /// A form's or a query's `true` or `false`.
    static func flag(_ text: String?, _ field: RequestField) throws -> Bool? {
        switch text {
        case nil: nil
        case "true": true
        case "false": false
        default: throw APIError.invalidField(field, "must be true or false")
        }
    }

    static func maskURL(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard RetrievalPayloadValidator.isAbsoluteHTTPURL(text) else { throw APIError.invalidField(.maskURL, "must be an absolute http(s) URL") }
        return text
    }

    /// The rule of every submission: the service finds the clutter itself (`auto`), or a mask says where it is.
    static func requireMask(_ form: UploadForm) throws {
        guard form.auto == true || form.mask != nil || form.maskURL != nil else {
            throw APIError(.badRequest, code: .invalidMask, message: "either `auto` must be true or a mask given (a `mask` file or a `mask_url`)")
        }
    }

    static func declaredLength(_ request: Request) -> Int? {
        request.headers[.contentLength].flatMap(Int.init)
    }
}

extension MultipartLimits {
    /// The longest text part (`mask_url` is at most 2,048 characters).
    var textBytes: Int { 4 * 1024 }

    /// What a form may add to its files: each part's head, a text part's value and its boundary, the preamble
    /// and the epilogue. A declared length over two files and this is refused before reading.
    var overheadBytes: Int { parts * (headerBytes + textBytes + 80) + preambleBytes + epilogueBytes }
}

/// A part of a form being read, whatever the form: it takes its bytes as they come, then ends into the form.
protocol FormPart {
    associatedtype Form
    mutating func append(_ buffer: ByteBuffer, limit: Int) throws
    func end(into form: inout Form) async throws
}

extension MultipartScanner {
    /// Streams `body` through the scanner into `form`: each part made by `makePart` from its head (and the form as read
    /// so far), fed its bytes (a text part at most `textLimit` of them), then ended into the form. A form that breaks
    /// the multipart rules is 400 `invalid_multipart`.
    mutating func read<Part: FormPart>(_ body: RequestBody, into form: inout Part.Form, textLimit: Int,
                                        makePart: (MultipartPartHead, Part.Form) throws -> Part) async throws {
        var current: Part?
        do {
            for try await buffer in body {
                for event in try feed(buffer) {
                    switch event {
                    case .part(let head):
                        current = try makePart(head, form)
                    case .bytes(let bytes):
                        try current?.append(bytes, limit: textLimit)
                    case .partEnd:
                        try await current?.end(into: &form)
                        current = nil
                    }
                }
            }
            try finish()
        } catch let error as MultipartError {
            throw APIError.invalidForm(error.description)
        }
    }
}
