import DeclutterAPI
import Foundation
import Testing

@Suite("Retrieval payload corpus")
struct RetrievalCorpusTests {
    @Test("each fixture breaks exactly the rule the manifest names", arguments: try RetrievalCorpus.fixtures())
    func fixtureMatchesManifest(_ fixture: CorpusFixture) throws {
        let expected = try fixture.expectedGenerationID.map { text in
            try #require(UUID(uuidString: text), "manifest holds a bad expected_generation_id")
        }
        let result = RetrievalPayloadValidator.validate(try fixture.body(), expectedGenerationID: expected)
        switch result {
        case .success:
            #expect(fixture.rule == nil, "accepted, but the manifest expects \(fixture.rule ?? "")")
        case .failure(let violation):
            #expect(violation.rule.rawValue == fixture.rule, "refused with \(violation)")
        }
    }

    @Test func everyRuleAppearsInTheManifest() throws {
        let named = Set(try RetrievalCorpus.fixtures().compactMap(\.rule))
        let known = Set(PayloadRule.allCases.map(\.rawValue))
        #expect(known.subtracting(named).isEmpty, "rules without a fixture")
        #expect(named.subtracting(known).isEmpty, "manifest names rules the validator does not know")
    }

    @Test func corpusIsLargeAndFullyListed() throws {
        let fixtures = try RetrievalCorpus.fixtures()
        #expect(fixtures.count >= 40)
        #expect(Set(fixtures.map(\.file)).count == fixtures.count, "a file is listed twice")
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: RetrievalCorpus.directory.path)
            .filter { $0.hasSuffix(".json") && $0 != "manifest.json" }
        #expect(Set(onDisk) == Set(fixtures.map(\.file)))
        #expect(fixtures.contains { $0.rule == nil }, "no valid fixture")
    }
}
