@testable import DeclutterDaemon
import DeclutterStore
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

    @Test("docs/configuration.md's table gives each setting's own environment name, flag and default")
    func configurationTable() throws {
        let rows = try Self.read("docs/configuration.md").split(separator: "\n").filter { $0.hasPrefix("| `") }
        for setting in Setting.all {
            let row = try #require(rows.first { $0.hasPrefix("| `\(setting.key)` |") }, "no row for \(setting.key)")
            let cells = row.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(cells[2] == "`\(setting.environmentName)`", "\(setting.key)")
            #expect(cells[3] == (setting.flag.map { "`--\($0)`" } ?? ""), "\(setting.key)")
            if let fallback = setting.defaultText { #expect(cells[4] == "`\(fallback)`", "\(setting.key)") }
        }
    }

    @Test("config/declutterd.toml gives each key its own environment name, flag and default")
    func exampleFile() throws {
        let lines = try Self.read("config/declutterd.toml").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var section = ""
        var comments: [String] = []
        var seen: Set<String> = []
        for line in lines {
            if line.hasPrefix("[") { section = String(line.dropFirst().dropLast()); comments = []; continue }
            if line.isEmpty { comments = []; continue }
            guard line.hasPrefix("# ") else { continue }
            let body = String(line.dropFirst(2))
            if let equals = body.range(of: " = "), !body[..<equals.lowerBound].contains(" "),
               let setting = Setting.named(section + "." + body[..<equals.lowerBound]) {
                seen.insert(setting.key)
                let block = comments.joined(separator: " ")
                #expect(block.contains("env: \(setting.environmentName)"), "\(setting.key)")
                if let flag = setting.flag { #expect(block.contains("flag: --\(flag)"), "\(setting.key) has --\(flag)") }
                if let fallback = setting.defaultText {
                    #expect(block.contains("default: \(fallback) ") || block.contains("default: \"\(fallback)\""), "\(setting.key): \(fallback)")
                }
                comments = []
            } else {
                comments.append(body)
            }
        }
        #expect(seen == Set(Setting.all.map(\.key)))
    }

    @Test("the named flags of serve and check-config are the table's, each with its key in the help")
    func flags() async throws {
        let help = try await CLI.run(["serve", "--help"])
        for setting in Setting.all {
            if let flag = setting.flag {
                #expect(help.stdout.contains("--\(flag) <value>"), "--\(flag)")
                #expect(help.stdout.contains(setting.key), "\(setting.key)")
            }
        }
        #expect(!help.stdout.contains("(no such setting)"))
    }

    @Test("the README's metric table lists every metric with exactly the label values the enums declare")
    func metricTable() throws {
        let readme = try Self.read("README.md")
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `declutterd_") }
        #expect(rows.count == DaemonMetrics.all.count)
        for metric in DaemonMetrics.all {
            let row = try #require(rows.first { $0.hasPrefix("| `\(metric.fullName)` |") }, "\(metric.fullName) is not in the README")
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            // `outcome`: a, b, c; `listener`: x, y
            let documented = cells[2].isEmpty ? [] : cells[2].components(separatedBy: "; ")
            #expect(documented.count == metric.labels.count, "\(metric.fullName): \(cells[2])")
            for (text, label) in zip(documented, metric.labels) {
                #expect(text.hasPrefix("`\(label.name)`: "), "\(row)")
                // A label with a series per key says so, and lists no values.
                if label.values.isEmpty {
                    #expect(text == "`\(label.name)`: one per key", "\(row)")
                    continue
                }
                let values = text.dropFirst(label.name.count + 4).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                #expect(values == label.values, "\(metric.fullName) \(label.name)")
            }
        }
    }

    @Test("every event outcome is a value of the callback and poll labels, under its own name")
    func outcomeLabels() {
        for outcome in EventOutcome.allCases {
            #expect(CallbackOutcome(rawValue: outcome.rawValue) != nil, "\(outcome)")
            #expect(PollResult(rawValue: outcome.rawValue) != nil, "\(outcome)")
        }
    }

    @Test("every counter is exported from the start, at zero, with its documented labels")
    func countersExistAtStart() {
        let text = DaemonMetrics().exposition()
        for metric in DaemonMetrics.all where metric.unit == "total" {
            for pairs in metric.combinations {
                let labels = pairs.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",")
                let series = labels.isEmpty ? metric.fullName : "\(metric.fullName){\(labels)}"
                #expect(text.contains("\(series) 0\n"), "\(series)")
            }
        }
    }
}
