import DeclutterAPI
@testable import DeclutterDaemon
@testable import DeclutterStore
import Foundation
import Testing

/// The OpenAPI document (SPEC §5) against the code: the routes it lists, the statuses and bodies the
/// daemon really answers, and the response views of `APIViews.swift`.
@Suite("OpenAPI document")
struct OpenAPITests {
    static let document = YAMLOutline.parse(OpenAPIDocument.yaml)

    // MARK: - The document itself

    @Test("the document is OpenAPI 3.1.0 and every $ref resolves")
    func sanity() throws {
        let yaml = OpenAPIDocument.yaml
        #expect(yaml.hasPrefix("openapi: 3.1.0\n"))
        #expect(!yaml.contains("\t"), "YAML indentation must be spaces")
        let description = try #require(Self.document["info"]?["description"]?.value)
        #expect(description.hasPrefix("|"))
        #expect(yaml.contains("loopback") && yaml.contains("unix socket"))

        var referenced = Set<String>()
        for line in yaml.split(separator: "\n") where line.contains("$ref:") {
            let target = YAMLOutline.unquote(String(line.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces))
            #expect(target.hasPrefix("#/components/"), "local references only: \(target)")
            #expect(Self.resolve(target) != nil, "dangling $ref \(target)")
            referenced.insert(target)
        }
        let schemas = try #require(Self.document["components"]?["schemas"])
        for name in ["Generation", "GenerationList", "Event", "EventList", "Project", "Stats", "Readiness", "Error"] {
            #expect(schemas[name] != nil, "components/schemas/\(name) is missing")
        }
        for section in ["schemas", "responses", "parameters", "headers"] {
            for name in Self.document["components"]?[section]?.keys ?? [] {
                #expect(referenced.contains("#/components/\(section)/\(name)"), "components/\(section)/\(name) is never used")
            }
        }
        let operationIDs = Self.operations.map { $0.operation["operationId"]?.scalar ?? "" }
        #expect(Set(operationIDs).count == operationIDs.count && !operationIDs.contains(""), "one distinct operationId per operation")
    }

    @Test("the document lists exactly LocalAPIController.routes")
    func routesMatch() {
        let documented = Set(Self.operations.map(\.route))
        let served = Set(LocalAPIController.routes)
        #expect(documented == served, "documented only: \(documented.subtracting(served).sorted()); served only: \(served.subtracting(documented).sorted())")
        #expect(LocalAPIController.routes.count == served.count)
    }

    @Test("query parameters, Idempotency-Key and Idempotent-Replayed are documented where the handlers read them")
    func parameters() throws {
        #expect(Set(Self.parameters(of: "GET /v1/generations").map(\.key)) == ["status", "project_id", "since", "limit", "cursor"])
        let wait = try #require(Self.parameters(of: "GET /v1/generations/{id}").first { $0.key == "wait" }?.node)
        #expect(wait["schema"]?["maximum"]?.scalar == String(Int(LocalAPIController.maximumWait)))
        for route in LocalAPIController.routes {
            let parameters = Self.parameters(of: route)
            let takesKey = route == "POST /v1/generations" || route == "POST /v1/generations/{id}/variations"
            let key = parameters.first { $0.key == "Idempotency-Key" }
            #expect((key != nil) == takesKey, "Idempotency-Key on \(route)")
            if takesKey {
                #expect(key?.node["in"]?.scalar == "header")
                #expect(Self.response(route, 202)?["headers"]?["Idempotent-Replayed"] != nil, "Idempotent-Replayed on \(route)")
            }
            if route.contains("{id}") {
                #expect(parameters.contains { $0.key == "id" && $0.node["in"]?.scalar == "path" && $0.node["required"]?.scalar == "true" },
                        "path parameter id on \(route)")
            }
        }
    }

    // MARK: - The schemas against APIViews.swift

    @Test("each response schema has exactly the fields of its view, optional ones nullable and not required")
    func schemasMatchViews() throws {
        let now = Date(timeIntervalSince1970: 1_795_000_000.123)
        var full = GenerationRecord(kind: .variation, status: .succeeded, createdAt: now)
        full.id = 7
        full.generationID = UUID()
        full.projectID = UUID()
        full.parentGenerationID = UUID()
        full.statusReason = "a reason"
        full.imageURL = "https://images.example/room.jpg"
        full.maskURL = "https://images.example/mask.png"
        full.auto = true
        full.images = ["https://images.example/out.jpg"]
        full.variations = 2
        full.remainingPhotos = 41
        full.refunded = false
        full.resolvedBy = .callback
        full.submittedAt = now
        full.completedAt = now
        full.nextPollAt = now
        full.pollAttempts = 1
        var bare = GenerationRecord(kind: .generation, status: .submitting, createdAt: now)
        bare.id = 8
        let fullEvent = EventRecord(id: 3, generation: 7, source: .poll, receivedAt: now, httpStatus: 200, rawBody: RawBody(Data("{}".utf8)),
                                    outcome: .applied, reason: "why", statusBefore: .processing, statusReported: .succeeded)
        let bareEvent = EventRecord(id: 4, generation: 7, source: .callback, receivedAt: now, httpStatus: nil, rawBody: nil,
                                    outcome: .rejected, reason: nil, statusBefore: nil, statusReported: nil)
        let fullStats = StoreStats(countsByState: [.starting: 2, .failed: 1], latestQuota: QuotaRecord(id: 1, recordedAt: now, remainingPhotos: 40, generation: 7),
                                   refundsSinceQuota: 1, resolvedByCallback: 3, resolvedByPoll: 1, oldestPendingCreatedAt: now - 12.5,
                                   unknownOutcomes: 0, events: 9)
        let bareStats = StoreStats(countsByState: [:], latestQuota: nil, refundsSinceQuota: 0, resolvedByCallback: 0, resolvedByPoll: 0,
                                   oldestPendingCreatedAt: nil, unknownOutcomes: 0, events: 0)

        let cases: [(schema: String, full: Data, bare: Data)] = [
            ("Generation", try APIJSON.encode(GenerationView(full)), try APIJSON.encode(GenerationView(bare))),
            ("Event", try APIJSON.encode(EventView(fullEvent)), try APIJSON.encode(EventView(bareEvent))),
            ("GenerationList", try APIJSON.encode(GenerationListView(generations: [GenerationView(full), GenerationView(bare)], nextCursor: "8")),
             try APIJSON.encode(GenerationListView(generations: [], nextCursor: nil))),
            ("EventList", try APIJSON.encode(EventListView(generationID: "9b2f4c1e-3d5a-4e6f-8a7b-1c2d3e4f5a6b", events: [EventView(fullEvent), EventView(bareEvent)])),
             try APIJSON.encode(EventListView(generationID: nil, events: []))),
            ("Project", try APIJSON.encode(ProjectView(id: StoreFormat.uuid(UUID()), createdAt: StoreFormat.timestamp(now), variationsCount: 1,
                                                       generations: [GenerationView(full)])),
             try APIJSON.encode(ProjectView(id: StoreFormat.uuid(UUID()), createdAt: StoreFormat.timestamp(now), variationsCount: 0, generations: []))),
            ("Stats", try APIJSON.encode(StatsView(fullStats, pollsInFlight: 2, now: now)), try APIJSON.encode(StatsView(bareStats, pollsInFlight: 0, now: now))),
            ("Readiness", try APIJSON.encode(ReadinessView(status: "not_ready", reasons: ["callback listener not bound"])),
             try APIJSON.encode(ReadinessView(status: "ready", reasons: []))),
        ]
        for (name, fullBody, bareBody) in cases {
            let schema = try #require(Self.document["components"]?["schemas"]?[name])
            let properties = Set(schema["properties"]?.keys ?? [])
            let required = Set(YAMLOutline.flowList(schema["required"]?.value ?? "[]").map(\.text))
            let fullValue = try JSONDecoder().decode(JSONValue.self, from: fullBody)
            let bareValue = try JSONDecoder().decode(JSONValue.self, from: bareBody)
            #expect(Self.objectKeys(fullValue) == properties, "\(name): every field of the view, and only those, documented")
            #expect(Self.objectKeys(bareValue) == required, "\(name): required = the fields always present")
            #expect(OpenAPISchemaCheck.issues(fullValue, schema).isEmpty, "\(name): \(OpenAPISchemaCheck.issues(fullValue, schema))")
            #expect(OpenAPISchemaCheck.issues(bareValue, schema).isEmpty, "\(name): \(OpenAPISchemaCheck.issues(bareValue, schema))")
            for property in properties {
                let types = OpenAPISchemaCheck.types(schema["properties"]?[property])
                #expect(types.contains("null") != required.contains(property), "\(name).\(property): nullable exactly when optional (\(types))")
            }
        }
        let counts = Set(Self.document["components"]?["schemas"]?["Stats"]?["properties"]?["counts"]?["properties"]?.keys ?? [])
        #expect(counts == Set(GenerationState.allCases.map { $0.rawValue.lowercased() }))
        let statuses = YAMLOutline.flowList(Self.document["components"]?["schemas"]?["GenerationStatus"]?["enum"]?.value ?? "[]").map(\.text)
        #expect(statuses == GenerationState.allCases.map(\.rawValue))
    }

    // MARK: - Against a running daemon

    @Test("GET /openapi.yaml serves the document as YAML")
    func served() async throws {
        let harness = try await Harness.start()
        let reply = try await harness.local("GET", "/openapi.yaml")
        #expect(reply.status == 200)
        #expect(reply.header("content-type")?.hasPrefix("application/yaml") == true)
        #expect(reply.text == OpenAPIDocument.yaml)
        await harness.stop()
    }

    @Test("every documented route answers one of its documented statuses, with a body that matches its schema")
    func everyRouteAnswers() async throws {
        let harness = try await Harness.start()
        let record = try await harness.submit()
        let id = try #require(record["id"] as? Int)
        let generationID = try #require(record["generation_id"] as? String)
        let projectID = try #require(record["project_id"] as? String)

        let calls: [String: (path: String, body: String?, status: Int)] = [
            "GET /healthz": ("/healthz", nil, 200),
            "GET /readyz": ("/readyz", nil, 200),
            "GET /openapi.yaml": ("/openapi.yaml", nil, 200),
            "GET /metrics": ("/metrics", nil, 200),
            "POST /v1/generations": ("/v1/generations", #"{"image_url": "https://images.example/kitchen.jpg", "auto": true}"#, 202),
            "GET /v1/generations": ("/v1/generations?limit=10&status=starting", nil, 200),
            "GET /v1/generations/{id}": ("/v1/generations/\(id)?wait=0.2", nil, 200),
            "GET /v1/generations/{id}/events": ("/v1/generations/\(generationID)/events", nil, 200),
            "POST /v1/generations/{id}/variations": ("/v1/generations/\(id)/variations", "", 202),
            "POST /v1/generations/{id}/refresh": ("/v1/generations/\(generationID)/refresh", nil, 200),
            "POST /v1/track": ("/v1/track", #"{"generation_id": "\#(UUID().uuidString.lowercased())"}"#, 202),
            "GET /v1/projects/{id}": ("/v1/projects/\(projectID)", nil, 200),
            "GET /v1/stats": ("/v1/stats", nil, 200),
        ]
        #expect(Set(calls.keys) == Set(LocalAPIController.routes), "a call for every route")
        for route in LocalAPIController.routes {
            guard let call = calls[route] else { continue }
            let method = String(route.split(separator: " ")[0])
            let reply = try await harness.local(method, call.path, json: call.body)
            #expect(reply.status != 404 && reply.status != 405, "\(route) answered \(reply.status): \(reply.text)")
            #expect(reply.status == call.status, "\(route) answered \(reply.status): \(reply.text)")
            Self.expectDocumented(route, reply)
        }
        let metrics = try await harness.local("GET", "/metrics")
        #expect(metrics.header("content-type")?.hasPrefix("text/plain") == true)
        await harness.stop()
    }

    @Test("the documented error statuses are the ones the handlers give, in the error shape")
    func documentedErrors() async throws {
        let harness = try await Harness.start()
        let record = try await harness.submit()
        let id = try #require(record["id"] as? Int)
        let generationID = try #require(record["generation_id"] as? String)
        // The sandbox refuses a gif: REJECTED, no upstream generation_id.
        let refused = try await harness.local("POST", "/v1/generations", json: #"{"image_url": "https://images.example/room.gif", "auto": true}"#)
        #expect(refused.status == 202 && refused.json["status"] as? String == "REJECTED", "\(refused.text)")
        Self.expectDocumented("POST /v1/generations", refused)
        let rejectedID = try #require(refused.json["id"] as? Int)
        let unknown = UUID().uuidString.lowercased()
        let huge = #"{"image_url": "https://images.example/\#(String(repeating: "x", count: 70_000)).jpg", "auto": true}"#

        let calls: [(route: String, path: String, body: String?, headers: [String: String], status: Int, code: String?)] = [
            ("GET /v1/generations", "/v1/generations?limit=0", nil, [:], 400, "invalid_limit"),
            ("GET /v1/generations", "/v1/generations?status=DONE", nil, [:], 400, "invalid_status"),
            ("GET /v1/generations", "/v1/generations?since=yesterday", nil, [:], 400, "invalid_since"),
            ("GET /v1/generations", "/v1/generations?cursor=-1", nil, [:], 400, "invalid_cursor"),
            ("GET /v1/generations", "/v1/generations?project_id=nope", nil, [:], 400, "invalid_project_id"),
            ("GET /v1/generations", "/v1/generations?since=2020-01-01T00:00:00Z&project_id=\(unknown)", nil, [:], 200, nil),
            ("GET /v1/generations/{id}", "/v1/generations/abc", nil, [:], 400, "invalid_id"),
            ("GET /v1/generations/{id}", "/v1/generations/999999", nil, [:], 404, "not_found"),
            ("GET /v1/generations/{id}", "/v1/generations/\(unknown)", nil, [:], 404, "not_found"),
            ("GET /v1/generations/{id}", "/v1/generations/\(id)?wait=61", nil, [:], 400, "invalid_wait"),
            ("GET /v1/generations/{id}/events", "/v1/generations/0/events", nil, [:], 400, "invalid_id"),
            ("GET /v1/generations/{id}/events", "/v1/generations/\(unknown)/events", nil, [:], 404, "not_found"),
            ("POST /v1/generations", "/v1/generations", "[]", [:], 400, "invalid_json"),
            ("POST /v1/generations", "/v1/generations", #"{"image_url": "ftp://images.example/a.jpg", "auto": true}"#, [:], 400, "invalid_image_url"),
            ("POST /v1/generations", "/v1/generations", #"{"image_url": "https://images.example/a.jpg"}"#, [:], 400, "invalid_mask"),
            ("POST /v1/generations", "/v1/generations", #"{"image_url": "https://images.example/a.jpg", "auto": "yes"}"#, [:], 400, "invalid_auto"),
            ("POST /v1/generations", "/v1/generations", #"{"image_url": "https://images.example/a.jpg", "auto": true}"#,
             ["Idempotency-Key": "has space"], 400, "invalid_idempotency_key"),
            ("POST /v1/generations", "/v1/generations", huge, [:], 413, "body_too_large"),
            ("POST /v1/generations/{id}/variations", "/v1/generations/999999/variations", "{}", [:], 404, "not_found"),
            ("POST /v1/generations/{id}/variations", "/v1/generations/\(id)/variations", #"{"mask_url": 3}"#, [:], 400, "invalid_mask_url"),
            ("POST /v1/generations/{id}/variations", "/v1/generations/\(id)/variations", #"{"original_url": "nope"}"#, [:], 400, "invalid_original_url"),
            ("POST /v1/generations/{id}/variations", "/v1/generations/\(rejectedID)/variations", "{}", [:], 409, "parent_not_submitted"),
            ("POST /v1/generations/{id}/refresh", "/v1/generations/999999/refresh", nil, [:], 404, "not_found"),
            ("POST /v1/generations/{id}/refresh", "/v1/generations/\(rejectedID)/refresh", nil, [:], 409, "not_pollable"),
            ("POST /v1/track", "/v1/track", "{}", [:], 400, "invalid_generation_id"),
            ("POST /v1/track", "/v1/track", #"{"generation_id": "\#(generationID)"}"#, [:], 200, nil),
            ("GET /v1/projects/{id}", "/v1/projects/abc", nil, [:], 400, "invalid_id"),
            ("GET /v1/projects/{id}", "/v1/projects/\(unknown)", nil, [:], 404, "not_found"),
        ]
        for call in calls {
            let method = String(call.route.split(separator: " ")[0])
            let reply = try await harness.local(method, call.path, json: call.body, headers: call.headers)
            #expect(reply.status == call.status, "\(method) \(call.path) answered \(reply.status): \(reply.text.prefix(300))")
            if let code = call.code {
                #expect(Self.errorCode(reply) == code, "\(method) \(call.path): \(reply.text.prefix(300))")
            }
            Self.expectDocumented(call.route, reply)
        }

        // Idempotency: a replay is flagged; the same key for another request is 422.
        let body = #"{"image_url": "https://images.example/hall.jpg", "auto": true}"#
        let first = try await harness.local("POST", "/v1/generations", json: body, headers: ["Idempotency-Key": "openapi-1"])
        let again = try await harness.local("POST", "/v1/generations", json: body, headers: ["Idempotency-Key": "openapi-1"])
        #expect(first.status == 202 && first.header("Idempotent-Replayed") == nil)
        #expect(again.status == 202 && again.header("Idempotent-Replayed") == "true")
        #expect(again.json["id"] as? Int == first.json["id"] as? Int)
        Self.expectDocumented("POST /v1/generations", again)
        let other = try await harness.local("POST", "/v1/generations", json: #"{"image_url": "https://images.example/attic.jpg", "auto": true}"#,
                                            headers: ["Idempotency-Key": "openapi-1"])
        #expect(other.status == 422 && Self.errorCode(other) == "idempotency_key_reused", "\(other.text)")
        Self.expectDocumented("POST /v1/generations", other)
        let variation = try await harness.local("POST", "/v1/generations/\(id)/variations", json: "{}", headers: ["Idempotency-Key": "openapi-2"])
        let variationAgain = try await harness.local("POST", "/v1/generations/\(id)/variations", json: "{}", headers: ["Idempotency-Key": "openapi-2"])
        #expect(variation.status == 202 && variationAgain.status == 202 && variationAgain.header("Idempotent-Replayed") == "true")
        Self.expectDocumented("POST /v1/generations/{id}/variations", variationAgain)
        await harness.stop()
    }

    @Test("without a public base URL, submissions answer the documented 503")
    func noPublicBaseURL() async throws {
        let harness = try await Harness.start { $0.publicBaseURLFromListener = false; $0.publicBaseURL = nil }
        let submit = try await harness.local("POST", "/v1/generations", json: #"{"image_url": "https://images.example/room.jpg", "auto": true}"#)
        #expect(submit.status == 503 && Self.errorCode(submit) == "no_public_base_url", "\(submit.text)")
        Self.expectDocumented("POST /v1/generations", submit)
        await harness.stop()
    }

    @Test("undocumented routes answer 404 or 405 in the error shape")
    func undocumentedRoutes() async throws {
        let harness = try await Harness.start()
        _ = try await harness.submit()
        let calls: [(String, String)] = [
            ("DELETE", "/v1/generations/1"), ("GET", "/v1/admin"), ("POST", "/callbacks/x"), ("GET", "/v1/generations/1/secret"),
            ("PUT", "/v1/stats"), ("PATCH", "/v1/generations"), ("GET", "/v1/track"), ("POST", "/healthz"), ("GET", "/v1/projects"),
            ("GET", "/"), ("GET", "/v2/generations"),
        ]
        let errorSchema = try #require(Self.document["components"]?["schemas"]?["Error"])
        for (method, path) in calls {
            let reply = try await harness.local(method, path, json: method == "GET" ? nil : "{}")
            #expect(reply.status == 404 || reply.status == 405, "\(method) \(path) answered \(reply.status)")
            #expect(reply.header("content-type")?.hasPrefix("application/json") == true, "\(method) \(path)")
            let value = try? JSONDecoder().decode(JSONValue.self, from: reply.body)
            #expect(value.map { OpenAPISchemaCheck.issues($0, errorSchema).isEmpty } == true, "\(method) \(path): \(reply.text)")
        }
        await harness.stop()
    }

    // MARK: - Helpers

    struct Operation {
        let route: String
        let path: YAMLOutline
        let operation: YAMLOutline
    }

    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// Every operation under `paths:`, as `METHOD /path`.
    static var operations: [Operation] {
        (document["paths"]?.children ?? []).flatMap { path in
            path.children.filter { methods.contains($0.key) }.map { Operation(route: "\($0.key.uppercased()) \(path.key)", path: path, operation: $0) }
        }
    }

    /// `#/components/section/name`.
    static func resolve(_ reference: String) -> YAMLOutline? {
        let parts = reference.split(separator: "/").map(String.init)
        guard parts.count == 4, parts[0] == "#", parts[1] == "components" else { return nil }
        return document["components"]?[parts[2]]?[parts[3]]
    }

    static func dereferenced(_ node: YAMLOutline?) -> YAMLOutline? {
        guard let node else { return nil }
        if let reference = node["$ref"] { return resolve(reference.scalar) }
        return node
    }

    /// The path-level and operation-level parameters of a route, by name.
    static func parameters(of route: String) -> [(key: String, node: YAMLOutline)] {
        guard let operation = operations.first(where: { $0.route == route }) else { return [] }
        let items = (operation.path["parameters"]?.children ?? []) + (operation.operation["parameters"]?.children ?? [])
        return items.compactMap { item in
            let node = item["$ref"].map { resolve($0.scalar) } ?? YAMLOutline(key: "-", value: "", children: item.children)
            return node.flatMap { node in node["name"].map { ($0.scalar, node) } }
        }
    }

    /// The documented response of a route for a status.
    static func response(_ route: String, _ status: Int) -> YAMLOutline? {
        dereferenced(operations.first { $0.route == route }?.operation["responses"]?[String(status)])
    }

    /// The reply's status is documented for the route, and a JSON body matches the documented schema.
    static func expectDocumented(_ route: String, _ reply: Harness.Reply, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let response = response(route, reply.status) else {
            Issue.record("\(route) answered \(reply.status), not documented: \(reply.text.prefix(300))", sourceLocation: sourceLocation)
            return
        }
        guard let content = response["content"] else {
            #expect(reply.body.isEmpty, "\(route) \(reply.status) documents no body", sourceLocation: sourceLocation)
            return
        }
        if let schema = content["application/json"]?["schema"] {
            #expect(reply.header("content-type")?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: reply.body) else {
                Issue.record("\(route) \(reply.status): not JSON: \(reply.text.prefix(300))", sourceLocation: sourceLocation)
                return
            }
            let issues = OpenAPISchemaCheck.issues(value, schema)
            #expect(issues.isEmpty, "\(route) \(reply.status): \(issues)", sourceLocation: sourceLocation)
        } else if let type = content.keys.first, let contentType = reply.header("content-type") {
            #expect(contentType.hasPrefix(type), "\(route) \(reply.status): \(contentType) is not \(type)", sourceLocation: sourceLocation)
        }
    }

    static func errorCode(_ reply: Harness.Reply) -> String? {
        (reply.json["error"] as? [String: Any])?["code"] as? String
    }

    static func objectKeys(_ value: JSONValue) -> Set<String> {
        if case .object(let object) = value { return Set(object.keys) }
        return []
    }
}

/// A YAML text read as an outline of keys: enough YAML for the OpenAPI document (block mappings and
/// sequences, one-line flow lists and maps, quoted keys; block scalars are skipped). No YAML library is
/// available to the tests.
struct YAMLOutline: Sendable {
    var key: String
    var value: String
    var children: [YAMLOutline] = []

    subscript(_ key: String) -> YAMLOutline? { children.first { $0.key == key } }
    var keys: [String] { children.map(\.key) }
    /// The value without its quotes.
    var scalar: String { Self.unquote(value) }

    static func parse(_ text: String) -> YAMLOutline {
        var stack: [(indent: Int, node: YAMLOutline)] = [(-1, YAMLOutline(key: "", value: ""))]
        func close(downTo indent: Int) {
            while stack.count > 1, stack[stack.count - 1].indent >= indent {
                let done = stack.removeLast().node
                stack[stack.count - 1].node.children.append(done)
            }
        }
        var blockScalarIndent: Int?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            var indent = line.count - trimmed.count
            if let block = blockScalarIndent {
                if trimmed.isEmpty || indent > block { continue }
                blockScalarIndent = nil
            }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var content = Substring(trimmed)
            while content == "-" || content.hasPrefix("- ") {
                close(downTo: indent)
                stack.append((indent, YAMLOutline(key: "-", value: "")))
                content = content.dropFirst(1)
                let spaces = content.prefix { $0 == " " }.count
                content = content.dropFirst(spaces)
                indent += 1 + spaces
            }
            if content.isEmpty { continue }
            close(downTo: indent)
            let (key, value) = split(String(content))
            var node = YAMLOutline(key: key, value: value)
            if value.hasPrefix("{") { node.children = flowMap(value) }
            stack.append((indent, node))
            if value.hasPrefix("|") || value.hasPrefix(">") { blockScalarIndent = indent }
        }
        close(downTo: 0)
        return stack[0].node
    }

    /// `key: value`, `key:`, `'quoted key': value`, or a bare scalar (key only).
    static func split(_ content: String) -> (String, String) {
        if let quote = content.first, quote == "'" || quote == "\"",
           let end = content.dropFirst().firstIndex(of: quote) {
            let rest = content[content.index(after: end)...]
            if rest.hasPrefix(":") {
                return (String(content[content.index(after: content.startIndex)..<end]), rest.dropFirst().trimmingCharacters(in: .whitespaces))
            }
            return (content, "")
        }
        if let colon = content.range(of: ": ") {
            return (String(content[..<colon.lowerBound]), content[colon.upperBound...].trimmingCharacters(in: .whitespaces))
        }
        if content.hasSuffix(":") { return (String(content.dropLast()), "") }
        return (content, "")
    }

    static func unquote(_ text: String) -> String {
        if text.count >= 2, let first = text.first, first == "'" || first == "\"", text.last == first { return String(text.dropFirst().dropLast()) }
        return text
    }

    /// `[a, 'b', null]`: each item's text, and whether it was quoted (an unquoted `null` is JSON null).
    static func flowList(_ text: String) -> [(text: String, quoted: Bool)] {
        let inner = text.trimmingCharacters(in: .whitespaces).dropFirst().dropLast()
        return inner.split(separator: ",").map { item in
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            return (unquote(trimmed), unquote(trimmed) != trimmed)
        }
    }

    /// `{type: integer, minimum: 0}` as children.
    static func flowMap(_ text: String) -> [YAMLOutline] {
        let inner = text.trimmingCharacters(in: .whitespaces).dropFirst().dropLast()
        return inner.split(separator: ",").map { entry in
            let (key, value) = split(entry.trimmingCharacters(in: .whitespaces))
            return YAMLOutline(key: key, value: value)
        }
    }
}

/// Checks a JSON value against a schema of the outline: `$ref`, `type`, `enum`, `properties`, `required`,
/// `additionalProperties`, `items`. A field the schema does not list is an issue (the views must be documented
/// field by field).
enum OpenAPISchemaCheck {
    static func issues(_ value: JSONValue, _ schema: YAMLOutline, at path: String = "$") -> [String] {
        if let reference = schema["$ref"] {
            guard let target = OpenAPITests.resolve(reference.scalar) else { return ["\(path): dangling \(reference.scalar)"] }
            return issues(value, target, at: path)
        }
        let allowed = types(schema)
        if !allowed.isEmpty, !allowed.contains(where: { matches(value, $0) }) {
            return ["\(path): \(value) is not \(allowed.sorted())"]
        }
        var found: [String] = []
        if let list = schema["enum"] {
            let items = YAMLOutline.flowList(list.value)
            let listed: Bool
            switch value {
            case .null: listed = items.contains { $0.text == "null" && !$0.quoted }
            case .string(let text): listed = items.contains { $0.text == text && ($0.quoted || $0.text != "null") }
            default: listed = false
            }
            if !listed { found.append("\(path): \(value) is not one of \(list.value)") }
        }
        if case .object(let object) = value {
            let properties = schema["properties"]
            for key in YAMLOutline.flowList(schema["required"]?.value ?? "[]").map(\.text) where object[key] == nil {
                found.append("\(path): \(key) is missing")
            }
            for (key, member) in object.sorted(by: { $0.key < $1.key }) {
                if let property = properties?[key] {
                    found += issues(member, property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"], !additional.children.isEmpty {
                    found += issues(member, additional, at: "\(path).\(key)")
                } else {
                    found.append("\(path).\(key) is not documented")
                }
            }
        }
        if case .array(let items) = value, let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() { found += issues(item, itemSchema, at: "\(path)[\(index)]") }
        }
        return found
    }

    /// The `type` of a schema: `string` or `[string, "null"]`.
    static func types(_ schema: YAMLOutline?) -> Set<String> {
        guard let type = schema?["type"] else { return [] }
        return type.value.hasPrefix("[") ? Set(YAMLOutline.flowList(type.value).map(\.text)) : [type.scalar]
    }

    static func matches(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .integer), ("number", .integer), ("number", .number): true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }
}
