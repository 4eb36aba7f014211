import Foundation

/// The bodies `POST /v1/generations` takes besides JSON: a form with the photo as a file, or the photo itself.
/// One place for them: the cross-site guard lets exactly these through on that route, and the handler reads them.
enum UploadMediaType: Equatable {
    /// `multipart/form-data; boundary=…`: file parts `image` and `mask`, text parts `auto` and `mask_url`.
    case form(boundary: String?)
    /// `image/jpeg` or `image/png`: the body is the photo; options come in the query.
    case rawImage

    /// The upload type a `Content-Type` names, or nil when it names none (JSON, or anything else).
    init?(contentType: String) {
        switch MediaType.essence(contentType) {
        case "multipart/form-data": self = .form(boundary: MediaType.parameter("boundary", in: contentType))
        case "image/jpeg", "image/png": self = .rawImage
        default: return nil
        }
    }

    /// Said in the guard's refusals on the upload route.
    static let accepted = "application/json, multipart/form-data, image/jpeg or image/png"
}

extension MediaType {
    /// The type and subtype of a `Content-Type`, lowercased, without parameters.
    static func essence(_ contentType: String) -> String {
        contentType.split(separator: ";", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
    }

    /// The value of parameter `name` of a `Content-Type` (a quoted value unquoted), or nil.
    static func parameter(_ name: String, in contentType: String) -> String? {
        for parameter in HeaderParameters.split(contentType).dropFirst() {
            guard let equals = parameter.firstIndex(of: "=") else { continue }
            let key = parameter[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            if key == name.lowercased() { return HeaderParameters.unquoted(parameter[parameter.index(after: equals)...]) }
        }
        return nil
    }
}

/// `a; b="c; d"; e=f` read the way `Content-Type` and `Content-Disposition` are written: split on the semicolons
/// outside quotes.
enum HeaderParameters {
    static func split(_ value: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in value {
            if escaped {
                escaped = false
            } else if quoted, character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == ";", !quoted {
                parts.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        parts.append(current)
        return parts
    }

    /// A parameter value, trimmed, its quotes and backslash escapes removed when quoted.
    static func unquoted(_ value: Substring) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 2, trimmed.hasPrefix("\""), trimmed.hasSuffix("\"") else { return trimmed }
        var result = ""
        var escaped = false
        for character in trimmed.dropFirst().dropLast() {
            if !escaped, character == "\\" {
                escaped = true
                continue
            }
            escaped = false
            result.append(character)
        }
        return result
    }
}
