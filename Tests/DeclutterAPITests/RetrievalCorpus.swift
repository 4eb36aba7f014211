import DeclutterAPI
import Foundation
import Testing

/// One entry of `Fixtures/retrieval/manifest.json`: a raw body and the rule it must break (nil = valid).
struct CorpusFixture: Sendable, Decodable, CustomTestStringConvertible {
    let file: String
    let rule: String?
    let expectedGenerationID: String?

    enum CodingKeys: String, CodingKey {
        case file, rule, expectedGenerationID = "expected_generation_id"
    }

    var testDescription: String { file }

    /// The raw bytes, exactly as stored.
    func body() throws -> Data {
        try Data(contentsOf: RetrievalCorpus.directory.appendingPathComponent(file))
    }
}

/// The fixture corpus shared by the validator and `config/retrieval.schema.json`.
enum RetrievalCorpus {
    static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/retrieval", isDirectory: true)
    }

    static func fixtures() throws -> [CorpusFixture] {
        let manifest = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try JSONDecoder().decode([CorpusFixture].self, from: manifest)
    }
}
