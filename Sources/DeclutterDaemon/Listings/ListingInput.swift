import DeclutterAPI
import DeclutterStore
import Foundation

/// The rules of a listing's fields (docs/listings.md), whether they come as JSON or as a form's parts: one place
/// for each.
enum ListingInput {
    /// `^[A-Za-z0-9][A-Za-z0-9._:-]*$`, at most 200 bytes: safe in a path, a file name and a log line as it is.
    static func reference(_ text: String?) throws -> String {
        guard let text else { throw APIError.invalidField(.reference, "is required") }
        let bytes = Array(text.utf8)
        guard (1...ListingRules.maximumReferenceBytes).contains(bytes.count), bytes.allSatisfy(isReferenceByte), isAlphanumeric(bytes[0]) else {
            throw APIError.invalidField(.reference, "must be 1 to \(ListingRules.maximumReferenceBytes) characters of A-Z, a-z, 0-9, `.`, `_`, `:` "
                                        + "and `-`, starting with a letter or a digit")
        }
        return text
    }

    /// A photo's name, as a file name: 1 to 200 bytes of UTF-8 (room for a result's suffix within a file name's 255), no
    /// `/`, `\`, control character or bidirectional control (a name that reads other than it is), not `.` or `..`.
    static func photoName(_ text: String?, at index: Int) throws -> String {
        guard let text else { throw APIError.invalidField(.name, "of photo \(index) is required") }
        guard (1...ListingRules.maximumNameBytes).contains(text.utf8.count), text != ".", text != "..",
              !text.unicodeScalars.contains(where: isForbiddenInName) else {
            throw APIError.invalidField(.name, "of photo \(index) must be a file name: 1 to \(ListingRules.maximumNameBytes) bytes, no `/`, "
                                        + "`\\` or control character, not `.` or `..`")
        }
        return text
    }

    /// Refuses a listing without photos, with too many, or with two of one name.
    static func check(_ photos: [ListingPhotoRequest]) throws {
        guard (1...ListingRules.maximumPhotos).contains(photos.count) else {
            throw APIError.invalidField(.photos, "must hold 1 to \(ListingRules.maximumPhotos) photos")
        }
        var names: Set<String> = []
        for photo in photos where !names.insert(photo.name).inserted { throw duplicateName(photo.name) }
    }

    static func duplicateName(_ name: String) -> APIError {
        APIError(.badRequest, code: .duplicatePhotoName, message: "two photos are named \(name): each name is a file name of its own")
    }

    /// Each photo is decluttered as a single generation is: `auto`, or a mask.
    static func requireMask(auto: Bool?, hasMask: Bool, name: String) throws {
        guard auto == true || hasMask else {
            throw APIError(.badRequest, code: .invalidMask, message: "photo \(name): either `auto` must be true or a mask given")
        }
    }

    /// `POST /v1/listings` as JSON: `{"reference", "allow_partial", "auto", "photos": [{"name", "image_url", "auto", "mask_url"}]}`;
    /// a photo's `auto` overrides the listing's.
    static func request(_ body: JSONBody) throws -> ListingRequest {
        let reference = try reference(try body.string(.reference))
        let auto = try body.bool(.auto)
        guard case .array(let items)? = body.object[RequestField.photos.rawValue] else {
            throw APIError.invalidField(.photos, "must be an array of photos, each with a `name` and an `image_url`")
        }
        guard items.count <= ListingRules.maximumPhotos else { throw APIError.invalidField(.photos, "must hold 1 to \(ListingRules.maximumPhotos) photos") }
        let photos = try items.enumerated().map { index, item in
            guard case .object(let fields) = item else { throw APIError.invalidField(.photos, "must hold objects: photo \(index) is not one") }
            let photo = JSONBody(object: fields)
            let name = try photoName(try photo.string(.name), at: index)
            guard let imageURL = try photo.url(.imageURL) else { throw APIError.invalidField(.imageURL, "of photo \(name) is required") }
            // `false` and absent say the same (a mask marks the clutter): one spelling, so the same listing digests alike.
            let photoAuto = (try photo.bool(.auto) ?? auto) == true ? true : nil
            let maskURL = try photo.url(.maskURL)
            try requireMask(auto: photoAuto, hasMask: maskURL != nil, name: name)
            return ListingPhotoRequest(name: name, imageURL: imageURL, maskURL: maskURL, auto: photoAuto)
        }
        try check(photos)
        return ListingRequest(reference: reference, allowPartial: try body.bool(.allowPartial) ?? false, photos: photos)
    }
}

extension ListingInput {
    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    private static func isForbiddenInName(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "/" || scalar == "\\" || scalar.properties.generalCategory == .control || scalar.properties.isBidiControl
    }

    private static func isReferenceByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-")
    }
}
