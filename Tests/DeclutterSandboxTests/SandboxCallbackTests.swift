import DeclutterAPI
import DeclutterSandbox
import Foundation
import TestSupport
import Testing

@Suite("Sandbox callbacks reach a listener as the seed says")
struct SandboxCallbackTests {
    static func faulty(seed: UInt64) -> SandboxConfiguration {
        var configuration = SandboxConfiguration.fast(seed: seed)
        configuration.faults.callbackDrop = 0.25
        configuration.faults.callbackDuplicate = 0.25
        configuration.faults.callbackReorder = 0.3
        configuration.faults.callbackMalformed = 0.1
        return configuration
    }

    /// Launches `count` generations, each with its own webhook; returns the listener once every callback is in.
    static func run(_ configuration: SandboxConfiguration, count: Int) async throws -> (CallbackListener, [CallbackFate], [UUID]) {
        let listener = try await CallbackListener.start()
        let result = try await withSandbox(configuration) { sandbox in
            let api = client(for: sandbox)
            var ids: [UUID] = []
            for index in 0..<count {
                ids.append(try await api.generate(imageURL: roomImage, auto: true, maskURL: nil, webhook: listener.webhook("g\(index)")).generationID)
            }
            let allDrawn = try await eventually { await sandbox.sandbox.callbackFates().count == 2 * count }
            #expect(allDrawn)
            let fates = await sandbox.sandbox.callbackFates()
            let expected = fates.filter { !$0.dropped }.map { $0.duplicated ? 2 : 1 }.reduce(0, +)
            let allIn = try await eventually { listener.all.count >= expected }
            #expect(allIn)
            #expect(listener.all.count == expected)
            return (fates, ids)
        }
        await listener.stop()
        return (listener, result.0, result.1)
    }

    @Test("dropped, duplicated, malformed and reordered callbacks, exactly as the fates say")
    func faultsAsDrawn() async throws {
        let (listener, fates, ids) = try await Self.run(Self.faulty(seed: 42), count: 24)
        #expect(fates.contains { $0.dropped })
        #expect(fates.contains { $0.duplicated })
        #expect(fates.contains { $0.reordered })
        for (index, id) in ids.enumerated() {
            let received = listener.all.filter { $0.path == "g\(index)" }
            let mine = fates.filter { $0.generationID == id }
            let expected = mine.filter { !$0.dropped }.map { $0.duplicated ? 2 : 1 }.reduce(0, +)
            #expect(received.count == expected, "generation \(index)")
            let malformed = mine.filter { !$0.dropped && $0.malformed }.map { $0.duplicated ? 2 : 1 }.reduce(0, +)
            #expect(received.filter { $0.payload == nil }.count == malformed, "generation \(index)")
            if let processing = mine.first(where: { $0.status == .processing && $0.reordered && !$0.malformed }),
               let terminal = mine.first(where: { $0.status.isTerminal && !$0.dropped && !$0.malformed }) {
                let order = received.compactMap { $0.payload?.status }
                #expect(order.firstIndex(of: terminal.status)! < order.firstIndex(of: processing.status)!, "generation \(index)")
            }
        }
    }

    @Test("the same seed makes the same decisions and the same ids")
    func deterministic() async throws {
        let (_, first, firstIDs) = try await Self.run(Self.faulty(seed: 9), count: 10)
        let (_, second, secondIDs) = try await Self.run(Self.faulty(seed: 9), count: 10)
        let (_, other, _) = try await Self.run(Self.faulty(seed: 10), count: 10)
        let order = { (fates: [CallbackFate]) in fates.sorted { ($0.generationID.uuidString, $0.status.rawValue) < ($1.generationID.uuidString, $1.status.rawValue) } }
        #expect(firstIDs == secondIDs)
        #expect(order(first) == order(second))
        #expect(order(first) != order(other))
    }
}
