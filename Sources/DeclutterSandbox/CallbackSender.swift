import AsyncHTTPClient
import DeclutterAPI
import Foundation
import NIOCore

/// Runs each generation through its life on the sandbox's timers and sends its callbacks,
/// dropped, duplicated, delayed, malformed or reordered as the seed says.
struct GenerationLifecycle: Sendable {
    let state: SandboxState
    let httpClient: HTTPClient
    let imageBase: @Sendable () -> String

    func run(_ generation: SandboxGeneration) async {
        try? await Task.sleep(for: state.configuration.startDelay)
        guard let progress = await progress(generation) else { return }
        await complete(generation, after: progress)
    }

    /// A PROCESSING callback held back to be sent after the terminal one (reorder).
    struct Progress: Sendable {
        var heldBack: (CallbackFate, RetrievalPayload)?
    }

    /// STARTING → PROCESSING and its callback (unless held back); nil once the sandbox has stopped.
    func progress(_ generation: SandboxGeneration) async -> Progress? {
        guard let processing = await state.advance(generation.id, imageBase: imageBase()) else { return nil }
        var progress = Progress()
        if state.configuration.callbackOnProgress, processing.webhook != nil {
            let fate = await state.drawCallbackFate(for: processing, status: .processing)
            let payload = await state.payload(of: processing)
            if fate.reordered { progress.heldBack = (fate, payload) } else { await deliver(payload, fate: fate, to: processing.webhook) }
        }
        return progress
    }

    /// PROCESSING → the terminal state after the completion time (and the gate, if any), its callback, then any held-back one.
    func complete(_ generation: SandboxGeneration, after progress: Progress) async {
        try? await Task.sleep(for: generation.completionTime)
        await state.configuration.completionGate?.pass()
        guard let done = await state.advance(generation.id, imageBase: imageBase()), done.webhook != nil else { return }
        let fate = await state.drawCallbackFate(for: done, status: done.status)
        await deliver(await state.payload(of: done), fate: fate, to: done.webhook)
        if let (fate, payload) = progress.heldBack {
            await deliver(payload, fate: fate, to: done.webhook)
        }
    }

    private func deliver(_ payload: RetrievalPayload, fate: CallbackFate, to webhook: String?) async {
        guard let webhook, !fate.dropped else { return }
        if fate.delayed { try? await Task.sleep(for: state.configuration.faults.callbackDelay) }
        let body = fate.malformed ? Data("{\"status\": \"SUCCEEDED\", \"images\": [".utf8) : payload.encoded()
        for _ in 0..<(fate.duplicated ? 2 : 1) {
            await post(body, to: webhook)
        }
    }

    private func post(_ body: Data, to webhook: String) async {
        var request = HTTPClientRequest(url: webhook)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        await state.count { $0.callbacksSent += 1 }
        do {
            let response = try await httpClient.execute(request, timeout: .init(state.configuration.callbackTimeout))
            _ = try? await response.body.collect(upTo: 1 << 16)
            if !(200..<300).contains(response.status.code) { await state.count { $0.callbackDeliveryFailures += 1 } }
        } catch {
            await state.count { $0.callbackDeliveryFailures += 1 }
        }
    }
}
