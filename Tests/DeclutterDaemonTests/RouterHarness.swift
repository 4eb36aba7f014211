import DeclutterAPI
@testable import DeclutterDaemon
import DeclutterStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport

/// What a test of the local API's handlers talks to: a real daemon on real sockets (`Harness`), or its router alone
/// (`RouterHarness`). Tests written against this run on either.
protocol LocalAPIHarness {
    var database: any Store { get }
    func local(_ method: String, _ path: String, json: String?, headers: [String: String]) async throws -> Harness.Reply
}

extension LocalAPIHarness {
    func local(_ method: String, _ path: String, json: String? = nil) async throws -> Harness.Reply {
        try await local(method, path, json: json, headers: [:])
    }
}

extension Harness: LocalAPIHarness {}

/// The local API's router with its guard, run by HummingbirdTesting without a socket, on a fresh store of `backend`:
/// for the cases that exercise one handler (its answers, its refusals, what it writes). No sandbox runs and no
/// service starts: nothing here polls, delivers or downloads, and the upstream address answers nothing.
struct RouterHarness: LocalAPIHarness {
    let daemon: Daemon
    let client: any TestClientProtocol
    var database: any Store { daemon.database }

    func local(_ method: String, _ path: String, json: String?, headers: [String: String]) async throws -> Harness.Reply {
        // HummingbirdTesting gives every request the authority `localhost`, which the guard accepts: tests of a
        // foreign `Host` stay on real sockets.
        var fields = HTTPFields()
        if json != nil, !headers.keys.contains(where: { $0.lowercased() == "content-type" }) { fields[.contentType] = "application/json" }
        for (name, value) in headers {
            guard let field = HTTPField.Name(name) else { continue }
            fields[field] = value
        }
        let response = try await client.execute(uri: path, method: HTTPRequest.Method(method) ?? .get, headers: fields,
                                                body: json.map { ByteBuffer(string: $0) })
        return Harness.Reply(status: Int(response.status.code), headers: response.headers.map { ($0.name.rawName, $0.value) },
                             body: Data(buffer: response.body))
    }

    static func with<T: Sendable>(backend: StoreBackend = .sqlite, adjust: (inout DaemonConfiguration) -> Void = { _ in },
                                  _ body: @escaping @Sendable (RouterHarness) async throws -> T) async throws -> T {
        try await withTemporaryStore(backend) { store in
            let directory = try TemporaryDirectory(prefix: "declutterd-router")
            defer { directory.remove() }
            var configuration = DaemonConfiguration(upstream: DeclutterClientConfiguration(
                baseURL: "http://127.0.0.1:9", userID: UUID(), apiKey: "key", requestTimeout: .seconds(5)))
            configuration.databasePath = directory.file("declutterd.sqlite")
            adjust(&configuration)
            let daemon = try Daemon(configuration: configuration, store: store, logger: Harness.quietLogger())
            let application = Application(router: daemon.makeLocalRouter())
            do {
                let result = try await application.test(.router) { client in try await body(RouterHarness(daemon: daemon, client: client)) }
                try await daemon.httpClient.shutdown()
                return result
            } catch {
                try? await daemon.httpClient.shutdown()
                throw error
            }
        }
    }
}
