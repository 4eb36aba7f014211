import DeclutterAPI
import Foundation
import Testing

@Suite("Retrieval payload validator")
struct RetrievalPayloadValidatorTests {
    static let image = "https://cdn.example.com/result/1.png"
    static let generation = UUID(uuidString: "3f2b8c1e-7a4d-4e9b-9c2a-1d5e6f7a8b9c")!

    func validate(_ json: String, expected: UUID? = nil) -> Result<RetrievalPayload, PayloadViolation> {
        RetrievalPayloadValidator.validate(Data(json.utf8), expectedGenerationID: expected)
    }

    @Test("every images alias decodes to the same payload", arguments: ["images", "output", "image_urls"])
    func imagesAlias(_ key: String) throws {
        let payload = try validate(#"{"status": "SUCCEEDED", "\#(key)": ["\#(Self.image)"]}"#).get()
        #expect(payload == RetrievalPayload(status: .succeeded, images: [Self.image]))
    }

    @Test("every variations alias decodes to the same count", arguments: ["variations", "variations_count", "nb_variations"])
    func variationsAlias(_ key: String) throws {
        let payload = try validate(#"{"status": "PROCESSING", "\#(key)": 2}"#).get()
        #expect(payload == RetrievalPayload(status: .processing, variations: 2))
    }

    @Test func wholeFloatVariationsDecodeAsIntegers() throws {
        #expect(try validate(#"{"status": "STARTING", "variations": 3.0}"#).get().variations == 3)
        #expect(try validate(#"{"status": "STARTING", "nb_variations": 0.0}"#).get().variations == 0)
    }

    @Test func identifiersAndImagesAreKept() throws {
        let project = UUID()
        let json = #"{"status": "SUCCEEDED", "images": ["\#(Self.image)", "http://a.b/2.jpg"], "generation_id": "\#(Self.generation.uuidString)", "project_id": "\#(project.uuidString.lowercased())"}"#
        let payload = try validate(json).get()
        #expect(payload.images == [Self.image, "http://a.b/2.jpg"])
        #expect(payload.generationID == Self.generation)
        #expect(payload.projectID == project)
    }

    @Test("a violation's message names its rule", arguments: PayloadRule.allCases)
    func violationNamesRule(_ rule: PayloadRule) {
        let plain = PayloadViolation(rule)
        #expect(plain.rule == rule)
        #expect(plain.description == "\(rule.rawValue): \(rule.explanation)")
        let detailed = PayloadViolation(rule, detail: "element 3")
        #expect(detailed.message == "\(rule.explanation) (element 3)")
    }

    @Test func refusalCarriesTheRuleAndItsExplanation() {
        guard case .failure(let violation) = validate(#"{"status": "SUCCEEDED"}"#) else {
            Issue.record("a SUCCEEDED payload without images was accepted")
            return
        }
        #expect(violation.rule == .imagesMissing)
        #expect(violation.description.hasPrefix("images.missing: "))
        #expect(violation.message.contains("`images`"))
    }

    @Test func mismatchNamesTheExpectedGeneration() {
        let other = UUID()
        let result = validate(#"{"status": "STARTING", "generation_id": "\#(other.uuidString)"}"#, expected: Self.generation)
        guard case .failure(let violation) = result else {
            Issue.record("a foreign generation_id was accepted")
            return
        }
        #expect(violation.rule == .generationIDMismatch)
        #expect(violation.message.contains(Self.generation.uuidString.lowercased()))
    }

    @Test("checkGenerationID ignores case", arguments: [
        "3F2B8C1E-7A4D-4E9B-9C2A-1D5E6F7A8B9C", "3f2b8c1e-7a4d-4e9b-9c2a-1d5e6f7a8b9c", "3F2b8C1e-7a4D-4E9b-9C2a-1d5E6f7A8b9C",
    ])
    func generationIDMatchIgnoresCase(_ text: String) {
        let reported = UUID(uuidString: text)
        #expect(reported == Self.generation)
        let payload = RetrievalPayload(status: .processing, generationID: reported)
        #expect(throws: Never.self) { try RetrievalPayloadValidator.checkGenerationID(payload, expected: Self.generation).get() }
        let fromJSON = validate(#"{"status": "PROCESSING", "generation_id": "\#(text)"}"#, expected: Self.generation)
        #expect(throws: Never.self) { try fromJSON.get() }
    }

    @Test func checkGenerationIDWithoutEitherSideAccepts() {
        let anonymous = RetrievalPayload(status: .starting)
        #expect(throws: Never.self) { try RetrievalPayloadValidator.checkGenerationID(anonymous, expected: Self.generation).get() }
        let identified = RetrievalPayload(status: .starting, generationID: UUID())
        #expect(throws: Never.self) { try RetrievalPayloadValidator.checkGenerationID(identified, expected: nil).get() }
        #expect(throws: PayloadViolation.self) { try RetrievalPayloadValidator.checkGenerationID(identified, expected: Self.generation).get() }
    }

    @Test("RFC 8259 is enforced where Foundation's parser is lenient", arguments: [
        #"{"status": "STARTING",}"#,
        #"{"status": "STARTING" ,\#r\#n\#t}"#,
        #"{"status": "SUCCEEDED", "images": ["https://a.example/1.png",]}"#,
        #"{"status": "STARTING", "extra": [[1,], 2]}"#,
        #"{"status": "STARTING",,}"#,
        #"{status: "STARTING"}"#,
        #"{"status": "STARTING", "n": 0x10}"#,
        #"{"status": "STARTING", "n": .5}"#,
        #"{"status": "STARTING", "n": +1}"#,
        #"{"status": "STARTING", "n": 1.}"#,
        #"{"status": "STARTING"} {}"#,
    ])
    func notJSON(_ body: String) {
        guard case .failure(let violation) = validate(body) else {
            Issue.record("accepted: \(body)")
            return
        }
        #expect(violation.rule == .bodyNotJSON)
    }

    @Test("commas inside strings are not trailing commas", arguments: [
        #"{"status": "STARTING", "note": ",}"}"#,
        #"{"status": "STARTING", "note": "\",]"}"#,
        #"{"status": "STARTING", "note": "\\", "x": [1, 2]}"#,
    ])
    func commasInStrings(_ body: String) {
        #expect(throws: Never.self) { try validate(body).get() }
    }

    @Test func canonicalEncodingValidatesBackToTheSamePayload() throws {
        let payload = RetrievalPayload(status: .succeeded, images: [Self.image], variations: 4, generationID: Self.generation, projectID: UUID())
        #expect(try RetrievalPayloadValidator.validate(payload.encoded(), expectedGenerationID: Self.generation).get() == payload)
    }
}
