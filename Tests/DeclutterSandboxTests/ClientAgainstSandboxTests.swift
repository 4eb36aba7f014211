import DeclutterAPI
import DeclutterSandbox
import Foundation
import TestSupport
import Testing

@Suite("The client against a real sandbox over loopback HTTP")
struct ClientAgainstSandboxTests {
    @Test("generate, generate-variation and get, through to SUCCEEDED")
    func threeCalls() async throws {
        try await withSandbox(.fast()) { sandbox in
            let api = client(for: sandbox)
            let first = try await api.generate(imageURL: roomImage, auto: true, maskURL: nil, webhook: nil)
            #expect(first.remainingPhotos == 99)
            #expect(String(decoding: first.rawBody, as: UTF8.self).contains(#""remaining_photos":99"#), "the bytes as received are kept")
            let variation = try await api.generateVariation(of: first.generationID, originalURL: roomImage, maskURL: nil, webhook: nil)
            #expect(variation.remainingPhotos == 98)
            #expect(variation.generationID != first.generationID)
            let answer = try await api.retrieve(first.generationID)
            #expect(answer.httpStatus == 200)
            let payload = try answer.payload.get()
            #expect(payload.generationID == first.generationID)
            #expect(payload.projectID == first.projectID)
            let done = try await eventually { try await api.retrieve(first.generationID).payload.get().status == .succeeded }
            #expect(done)
            let finished = try await api.retrieve(first.generationID).payload.get()
            #expect(finished.images.count == 2)
            #expect(finished.variations == 1)
        }
    }

    @Test("a wrong key gives 401 and a clear error that does not carry the key")
    func wrongKey() async throws {
        try await withSandbox(.fast()) { sandbox in
            let api = client(for: sandbox, apiKey: "sk-wrong-secret")
            let error = await #expect(throws: UpstreamError.self) {
                try await api.generate(imageURL: roomImage, auto: true, maskURL: nil, webhook: nil)
            }
            #expect(error?.kind == .rejected)
            #expect(error?.httpStatus == 401)
            #expect(error?.isCredentialProblem == true)
            #expect(error.map { !"\($0)".contains("sk-wrong-secret") } == true)
            #expect(await sandbox.sandbox.remainingPhotos() == 100)
        }
    }

    @Test("a key for another user_id is refused with 401")
    func keyOfAnotherUser() async throws {
        try await withSandbox(.fast()) { sandbox in
            let configuration = sandbox.sandbox.configuration
            let api = DeclutterClient(configuration: DeclutterClientConfiguration(
                baseURL: sandbox.baseURL, userID: UUID(), apiKey: configuration.apiKey))
            let error = await #expect(throws: UpstreamError.self) { try await api.retrieve(UUID()) }
            #expect(error?.httpStatus == 401)
        }
    }

    @Test("429 with Retry-After and 503 are retried for get, honouring Retry-After")
    func retrievalRetries() async throws {
        var configuration = SandboxConfiguration.fast(seed: 7)
        configuration.faults.rateLimited = 0.35
        configuration.faults.unavailable = 0.35
        configuration.faults.retryAfter = "0.02"
        configuration.faults.faultyEndpoints = [.get]
        try await withSandbox(configuration) { sandbox in
            let sleeps = RecordedSleeps()
            let api = client(for: sandbox, sleeps: sleeps)
            let generation = try await api.generate(imageURL: roomImage, auto: true, maskURL: nil, webhook: nil)
            for _ in 0..<10 {
                let answer = try await api.retrieve(generation.generationID)
                #expect(answer.httpStatus == 200)
            }
            let counters = await sandbox.sandbox.counters()
            #expect(counters.rateLimited > 0)
            #expect(counters.unavailable > 0)
            #expect(counters.retrievalCalls == 10 + counters.rateLimited + counters.unavailable)
            #expect(sleeps.all.filter { $0 == .milliseconds(20) }.count == counters.rateLimited)
        }
    }

    @Test("get gives up after its attempts and says why")
    func retrievalGivesUp() async throws {
        var configuration = SandboxConfiguration.fast()
        configuration.faults.unavailable = 1
        configuration.faults.faultyEndpoints = [.get]
        try await withSandbox(configuration) { sandbox in
            let api = client(for: sandbox, retrieval: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(1)))
            let error = await #expect(throws: UpstreamError.self) { try await api.retrieve(UUID()) }
            #expect(error?.httpStatus == 503)
            #expect(await sandbox.sandbox.counters().retrievalCalls == 3)
        }
    }

    @Test("generate is not retried once sent: a 500 is an outcome-unknown error, sent once")
    func generateNotRetriedAfterSending() async throws {
        var configuration = SandboxConfiguration.fast()
        configuration.faults.serverError = 1
        try await withSandbox(configuration) { sandbox in
            let error = await #expect(throws: UpstreamError.self) {
                try await client(for: sandbox).generate(imageURL: roomImage, auto: true, maskURL: nil, webhook: nil)
            }
            #expect(error?.kind == .outcomeUnknown)
            #expect(await sandbox.sandbox.counters().generateCalls == 1)
        }
    }

    @Test("a generate that times out after the service took it is outcome-unknown, and its photo was spent")
    func generateTimeout() async throws {
        var configuration = SandboxConfiguration.fast()
        configuration.faults.timeout = 1
        configuration.faults.hang = .milliseconds(400)
        try await withSandbox(configuration) { sandbox in
            let api = client(for: sandbox, timeout: .milliseconds(100))
            let error = await #expect(throws: UpstreamError.self) {
                try await api.generate(imageURL: roomImage, auto: true, maskURL: nil, webhook: nil)
            }
            #expect(error?.kind == .outcomeUnknown, "\(String(describing: error))")
            // The service may see the call after the client gave up: wait for it, then check it came once.
            let spent = try await eventually { await sandbox.sandbox.remainingPhotos() == 99 }
            #expect(spent)
            let calls = await sandbox.sandbox.counters().generateCalls
            #expect(calls == 1)
        }
    }

    @Test("generate against a closed port is retried, then reported unreachable (nothing spent)")
    func generateUnreachable() async throws {
        let sleeps = RecordedSleeps()
        let api = DeclutterClient(
            configuration: DeclutterClientConfiguration(
                baseURL: "http://127.0.0.1:1", userID: UUID(), apiKey: "k",
                submissionRetry: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(1))),
            sleep: sleeps.sleep)
        let error = await #expect(throws: UpstreamError.self) {
            try await api.generate(imageURL: roomImage, auto: true, maskURL: nil, webhook: nil)
        }
        #expect(error?.kind == .unreachable)
        #expect(sleeps.all.count == 2)
    }

    @Test("a variation without a known parent is refused, and spends nothing")
    func variationWithoutParent() async throws {
        try await withSandbox(.fast()) { sandbox in
            let error = await #expect(throws: UpstreamError.self) {
                try await client(for: sandbox).generateVariation(of: UUID(), originalURL: roomImage, maskURL: nil, webhook: nil)
            }
            #expect(error?.kind == .rejected)
            #expect(error?.httpStatus == 400)
            #expect(await sandbox.sandbox.remainingPhotos() == 100)
        }
    }

    @Test("bad parameters are a 400 naming what is wrong")
    func badParameters() async throws {
        try await withSandbox(.fast()) { sandbox in
            let error = await #expect(throws: UpstreamError.self) {
                try await client(for: sandbox).generate(imageURL: "https://images.example/room.gif", auto: true, maskURL: nil, webhook: nil)
            }
            #expect(error?.httpStatus == 400)
            #expect(error?.message.contains("image_url") == true)
        }
    }

    @Test("quota goes down with each generation and back up when one FAILS")
    func quotaAndRefund() async throws {
        var configuration = SandboxConfiguration.fast()
        configuration.faults.failure = 1
        let gate = SandboxGate()
        configuration.completionGate = gate  // both are spent before either is refunded
        try await withSandbox(configuration) { sandbox in
            let api = client(for: sandbox)
            let first = try await api.generate(imageURL: roomImage, auto: true, maskURL: nil, webhook: nil)
            let second = try await api.generate(imageURL: roomImage, auto: true, maskURL: nil, webhook: nil)
            #expect(first.remainingPhotos == 99)
            #expect(second.remainingPhotos == 98)
            gate.release()
            let bothFailed = try await eventually {
                let firstStatus = try await api.retrieve(first.generationID).payload.get().status
                let secondStatus = try await api.retrieve(second.generationID).payload.get().status
                return firstStatus == .failed && secondStatus == .failed
            }
            #expect(bothFailed)
            #expect(await sandbox.sandbox.remainingPhotos() == 100)
            let third = try await api.generate(imageURL: roomImage, auto: true, maskURL: nil, webhook: nil)
            #expect(third.remainingPhotos == 99)
        }
    }
}
