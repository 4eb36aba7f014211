import DeclutterStore
import Foundation
import Hummingbird
import NIOCore

/// A listing sent as one `multipart/form-data` request: a `photo` file part per photo, named by its `filename`,
/// maybe a `mask` file part whose `filename` is that of its photo, and the text parts `reference`, `allow_partial`
/// and `auto`. Each file streams into the archive's temporary folder under `archive.max_bytes` and is checked as
/// it comes; nothing is kept until the listing is accepted.
struct ListingForm {
    var reference: String?
    var allowPartial: Bool?
    var auto: Bool?
    var photos: [(name: String, image: PendingUpload)] = []
    var masks: [String: PendingUpload] = [:]

    /// The form's parts: a file and maybe a mask per photo, and the three text parts.
    static let limits = MultipartLimits(parts: 2 * ListingRules.maximumPhotos + 3)
    static let textParts: Set<String> = ["reference", "allow_partial", "auto"]

    /// The listing as its files' SHA-256s name them (`upload:<sha256>`): what a same-reference check compares,
    /// before any file is kept.
    func request() throws -> ListingRequest {
        let photos = photos.map { photo in
            ListingPhotoRequest(name: photo.name, imageURL: photo.image.reference, maskURL: masks[photo.name]?.reference, auto: auto == true ? true : nil)
        }
        try ListingInput.check(photos)
        for photo in photos { try ListingInput.requireMask(auto: photo.auto, hasMask: photo.maskURL != nil, name: photo.name) }
        if let stray = masks.keys.first(where: { name in !photos.contains { $0.name == name } }) {
            throw APIError.invalidForm("the mask `\(stray.prefix(100))` has no photo of that name")
        }
        return ListingRequest(reference: try ListingInput.reference(reference), allowPartial: allowPartial ?? false, photos: photos)
    }

    /// Keeps every file in the archive (with `copies`, in the store too when it holds them), and returns `request`
    /// with each photo's files.
    func keep(_ request: ListingRequest, copies: ArchiveCopies, at date: Date) async throws -> ListingRequest {
        var kept = request
        for (index, photo) in photos.enumerated() {
            for file in [photo.image, masks[photo.name]].compactMap({ $0 }) {
                let input = try await file.keep()
                try await copies.keep(input.file, at: date)
                kept.photos[index].files.append(ListingFile(role: input.role, file: input.file))
            }
        }
        return kept
    }
}

extension UploadReader {
    /// Reads a listing's form; refuses (400, 413, 415) at the first part that breaks a rule, before reading on.
    func readListing(_ request: Request, boundary: String?) async throws -> ListingForm {
        guard let boundary, var scanner = MultipartScanner(boundary: boundary, limits: ListingForm.limits) else {
            throw APIError.invalidForm("multipart/form-data needs a boundary parameter of 1 to 70 characters")
        }
        var form = ListingForm()
        var texts: Set<String> = []
        var names: Set<String> = []
        try await scanner.read(request.body, into: &form, textLimit: limits.textBytes) { (head: MultipartPartHead, form: ListingForm) throws -> ListingFormPart in
            let part = try makeListingPart(head, index: form.photos.count, texts: &texts)
            if case .photo(let name, _) = part { try Self.admit(name, after: &names) }
            return part
        }
        return form
    }

    /// A photo refused as its head comes, before a byte of it is kept: one too many, or a name given twice.
    private static func admit(_ name: String, after names: inout Set<String>) throws {
        guard names.count < ListingRules.maximumPhotos else { throw APIError.invalidField(.photos, "must hold 1 to \(ListingRules.maximumPhotos) photos") }
        guard names.insert(name).inserted else { throw ListingInput.duplicateName(name) }
    }

    private func makeListingPart(_ head: MultipartPartHead, index: Int, texts: inout Set<String>) throws -> ListingFormPart {
        switch head.name {
        case "photo":
            return .photo(name: try ListingInput.photoName(head.filename, at: index), file: try makeFile(.image))
        case "mask":
            return .mask(name: try ListingInput.photoName(head.filename, at: index), file: try makeFile(.mask))
        case let name where ListingForm.textParts.contains(name):
            guard texts.insert(name).inserted else { throw APIError.invalidForm("the form has more than one `\(name)` part") }
            return .text(name: name, bytes: [])
        default:
            throw APIError.invalidForm("unknown part `\(head.name.prefix(100))`: a listing's form has the file parts photo and mask "
                                       + "and the text parts reference, allow_partial and auto")
        }
    }
}

/// A part of a listing's form being read.
enum ListingFormPart: FormPart {
    case photo(name: String, file: PendingUpload)
    case mask(name: String, file: PendingUpload)
    case text(name: String, bytes: [UInt8])

    mutating func append(_ buffer: ByteBuffer, limit: Int) throws {
        switch self {
        case .photo(_, let file), .mask(_, let file):
            try file.write(buffer)
        case .text(let name, var bytes):
            guard bytes.count + buffer.readableBytes <= limit else { throw APIError.invalidForm("the text part `\(name)` is at most \(limit) bytes") }
            bytes.append(contentsOf: buffer.readableBytesView)
            self = .text(name: name, bytes: bytes)
        }
    }

    func end(into form: inout ListingForm) async throws {
        switch self {
        case .photo(let name, let file):
            try await file.check()
            form.photos.append((name: name, image: file))
        case .mask(let name, let file):
            try await file.check()
            guard form.masks.updateValue(file, forKey: name) == nil else { throw APIError.invalidForm("photo \(name) has more than one mask") }
        case .text(let name, let bytes):
            let text = String(decoding: bytes, as: UTF8.self)
            switch name {
            case "reference": form.reference = text
            case "allow_partial": form.allowPartial = try UploadReader.flag(text, .allowPartial)
            default: form.auto = try UploadReader.flag(text, .auto)
            }
        }
    }
}
