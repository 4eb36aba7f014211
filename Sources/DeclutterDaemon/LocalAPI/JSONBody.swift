import DeclutterAPI
import Foundation
import Hummingbird

/// A request's JSON object, read field by field with errors that name the field.
struct JSONBody {
    let object: [String: JSONValue]

    static let maximumSize = 64 * 1024

    static func read(_ request: Request, allowEmpty: Bool = false, maximumSize: Int = maximumSize) async throws -> JSONBody {
        guard let buffer = try? await request.body.collect(upTo: maximumSize) else {
            throw APIError(.contentTooLarge, code: .bodyTooLarge, message: "the body must be at most \(maximumSize) bytes")
        }
        if buffer.readableBytes == 0, allowEmpty { return JSONBody(object: [:]) }
        guard case .object(let object)? = JSONValue.parse(buffer.readableBytesView) else {
            throw APIError(.badRequest, code: .invalidJSON, message: "the body must be a JSON object")
        }
        return JSONBody(object: object)
    }

    func string(_ key: RequestField) throws -> String? {
        switch object[key.rawValue] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw APIError.invalidField(key, "must be a string")
        }
    }

    func bool(_ key: RequestField) throws -> Bool? {
        switch object[key.rawValue] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        default: throw APIError.invalidField(key, "must be true or false")
        }
    }

    /// An absolute http(s) URL, when present.
    func url(_ key: RequestField) throws -> String? {
        guard let text = try string(key) else { return nil }
        guard RetrievalPayloadValidator.isAbsoluteHTTPURL(text) else { throw APIError.invalidField(key, "must be an absolute http(s) URL") }
        return text
    }

    func uuid(_ key: RequestField) throws -> UUID? {
        guard let text = try string(key) else { return nil }
        guard RetrievalPayloadValidator.isCanonicalUUID(text), let id = UUID(uuidString: text) else {
            throw APIError.invalidField(key, "must be a UUID")
        }
        return id
    }
}

extension APIError {
    /// 400 `invalid_<field>`: `field` breaks `rule`, which the message states.
    static func invalidField(_ field: RequestField, _ rule: String) -> APIError {
        APIError(.badRequest, field: field, message: "`\(field.rawValue)` \(rule)")
    }
}
