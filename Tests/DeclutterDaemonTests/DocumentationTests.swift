@testable import DeclutterDaemon
import Foundation
import TestSupport
import Testing

/// The documents that list what the code declares once: they must list exactly that.
@Suite("Documentation against the declarations")
struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    @Test("docs/configuration.md names every setting with its environment variable, and no setting that does not exist")
    func configurationDocument() throws {
        let text = try Self.read("docs/configuration.md")
        for setting in Setting.all {
            #expect(text.contains("`\(setting.key)`"), "\(setting.key) is not in docs/configuration.md")
            #expect(text.contains(setting.environmentName), "\(setting.environmentName) is not in docs/configuration.md")
        }
        let mentioned = Set(text.matches(of: /`DECLUTTERD_[A-Z_]+`/).map { String($0.output.dropFirst().dropLast()) })
        let known = Set(Setting.all.map(\.environmentName) + Setting.otherEnvironmentNames)
        #expect(mentioned.subtracting(known).isEmpty, "unknown variables: \(mentioned.subtracting(known).sorted())")
    }

    @Test("the README's metric table lists every metric with exactly the label values the enums declare")
    func metricTable() throws {
        let readme = try Self.read("README.md")
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `declutterd_") }
        #expect(rows.count == DaemonMetrics.documented.count)
        for metric in DaemonMetrics.documented {
            let row = try #require(rows.first { $0.hasPrefix("| `\(metric.name)` |") }, "\(metric.name) is not in the README")
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let labels = cells[2]
            guard let label = metric.label else {
                #expect(labels.isEmpty, "\(metric.name) has no label")
                continue
            }
            #expect(labels.hasPrefix("`\(label)`: "), "\(row)")
            let values = labels.dropFirst(label.count + 4).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(values == metric.values, "\(metric.name)")
        }
    }

    @Test("every counter is exported from the start, at zero, with its documented labels")
    func countersExistAtStart() {
        let text = DaemonMetrics().exposition()
        for metric in DaemonMetrics.documented where metric.name.hasSuffix("_total") {
            for value in metric.values {
                #expect(text.contains("\(metric.name){\(metric.label!)=\"\(value)\"} 0"), "\(metric.name) \(value)")
            }
        }
    }
}
