import DeclutterAPI
@testable import DeclutterDaemon
@testable import DeclutterStore
import Foundation
import HTTPTypes
import TestSupport
import Testing
import Yams

/// The OpenAPI document (docs/local-api.md) against the code: the routes it lists, the statuses and bodies the
/// daemon really answers, and the response views of `APIViews.swift`.
@Suite("OpenAPI document")
struct OpenAPITests {
    /// The document as Yams reads it; a failure is reported by `sanity`, and every other test then sees an
    /// empty document.
    static let parsed = Result { try YAMLNode.parse(OpenAPIDocument.yaml) }
    static var document: YAMLNode { (try? parsed.get().root) ?? YAMLNode(.object([:])) }

    // MARK: - The document itself

    @Test("the document is OpenAPI 3.1.0 in JSON-compatible YAML, and every $ref resolves")
    func sanity() throws {
        let yaml = OpenAPIDocument.yaml
        #expect(yaml.hasPrefix("openapi: 3.1.0\n"))
        #expect(!yaml.contains("\t"), "YAML indentation must be spaces")
        let parsed = try Self.parsed.get()
        #expect(parsed.problems.isEmpty, "not JSON-compatible: \(parsed.problems)")
        let document = parsed.root
        #expect(document["openapi"]?.string == "3.1.0")
        #expect(document["info"]?["title"]?.string?.isEmpty == false)
        #expect(document["info"]?["version"]?.string?.isEmpty == false)
        let description = try #require(document["info"]?["description"]?.string)
        #expect(description.contains("loopback") && description.contains("unix socket"))
        for guardWord in ["cross-site", "Sec-Fetch-Site", "Origin", "host_not_allowed", "cross_origin_refused", "unsupported_media_type", "method_not_allowed"] {
            #expect(description.contains(guardWord), "the description explains the guard: \(guardWord)")
        }

        let references = Self.references(in: document)
        #expect(!references.isEmpty)
        for target in references {
            #expect(target.hasPrefix("#/components/"), "local references only: \(target)")
            #expect(Self.resolve(target) != nil, "dangling $ref \(target)")
        }
        let schemas = try #require(document["components"]?["schemas"])
        for name in ["Generation", "GenerationList", "Event", "EventList", "Project", "Stats", "Readiness", "Error"] {
            #expect(schemas[name] != nil, "components/schemas/\(name) is missing")
        }
        for section in ["schemas", "responses", "parameters", "headers"] {
            for name in document["components"]?[section]?.keys ?? [] {
                #expect(references.contains("#/components/\(section)/\(name)"), "components/\(section)/\(name) is never used")
            }
        }
        let operationIDs = Self.operations.map { $0.operation["operationId"]?.string ?? "" }
        #expect(Set(operationIDs).count == operationIDs.count && !operationIDs.contains(""), "one distinct operationId per operation")
        #expect(!Self.operations.isEmpty)
        for operation in Self.operations {
            let responses = operation.operation["responses"]?.keys ?? []
            #expect(!responses.isEmpty, "\(operation.route) has responses")
            for status in responses {
                #expect(status.range(of: "^[1-5][0-9][0-9]$", options: .regularExpression) != nil, "\(operation.route): status \(status)")
                let response = Self.dereferenced(operation.operation["responses"]?[status])
                #expect(response?["description"]?.string?.isEmpty == false, "\(operation.route) \(status) has a description")
            }
        }
    }

    @Test("the document lists exactly the routes a running daemon's router serves")
    func routesMatch() async throws {
        let documented = Self.operations.map(\.route)
        #expect(documented.count == Set(documented).count)
        try await RouterHarness.with { harness in
            let served = harness.daemon.servedLocalRoutes
            #expect(!served.isEmpty)
            #expect(served.count == Set(served).count)
            #expect(Set(documented) == Set(served),
                    "documented only: \(Set(documented).subtracting(served).sorted()); served only: \(Set(served).subtracting(documented).sorted())")
        }
    }

    @Test("query parameters, Idempotency-Key and Idempotent-Replayed are documented where the handlers read them")
    func parameters() throws {
        #expect(Set(Self.parameters(of: "GET /v1/generations").map(\.name)) == ["status", "project_id", "since", "key", "limit", "cursor"])
        let wait = try #require(Self.parameters(of: "GET /v1/generations/{id}").first { $0.name == "wait" }?.node)
        #expect(wait["schema"]?["maximum"]?.number == LocalAPIController.maximumWait)
        let routes = Self.operations.map(\.route)
        #expect(!routes.isEmpty)
        for route in routes {
            let parameters = Self.parameters(of: route)
            let takesKey = route == "POST /v1/generations" || route == "POST /v1/generations/{id}/variations"
            let key = parameters.first { $0.name == "Idempotency-Key" }
            #expect((key != nil) == takesKey, "Idempotency-Key on \(route)")
            if takesKey {
                #expect(key?.node["in"]?.string == "header")
                #expect(Self.response(route, 202)?["headers"]?["Idempotent-Replayed"] != nil, "Idempotent-Replayed on \(route)")
            }
            if route.contains("{id}") {
                #expect(parameters.contains { $0.name == "id" && $0.node["in"]?.string == "path" && $0.node["required"]?.bool == true },
                        "path parameter id on \(route)")
            }
        }
    }

    @Test("each operation declares the scope the daemon asks for it (RouteScope), by key or dashboard session; open routes none")
    func scopes() {
        let schemes = Set(Self.document["components"]?["securitySchemes"]?.keys ?? [])
        #expect(schemes == ["localKey", "dashboardSession"])
        for operation in Self.operations {
            let requirements = operation.operation["security"]?.items ?? []
            let method = HTTPRequest.Method(rawValue: operation.method)!
            let concrete = Self.concrete(operation.path, id: "1")
            if let scope = RouteScope.required(method, concrete) {
                let declared = requirements.map { requirement in requirement.entries.map { "\($0.key):\($0.value.strings.joined(separator: ","))" } }
                #expect(declared == [["localKey:\(scope.rawValue)"], ["dashboardSession:\(scope.rawValue)"]], "\(operation.route): \(declared)")
                #expect(Self.response(operation.route, 401) != nil, "\(operation.route) documents its 401")
            } else {
                #expect(operation.operation["security"] != nil && requirements.isEmpty, "\(operation.route) is open: security []")
            }
        }
    }

    // MARK: - The schemas against APIViews.swift

    @Test("each response schema has exactly the fields of its view, optional ones nullable and not required")
    func schemasMatchViews() throws {
        let now = Date(timeIntervalSince1970: 1_795_000_000.123)
        var full = GenerationRecord(kind: .variation, status: .succeeded, createdAt: now)
        full.id = 7
        full.keyName = "importer"
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

        let (fullEndpoint, bareEndpoint, fullDelivery, bareDelivery) = DeliveryViewSamples.records(now: now)
        let fullListing = DeliveryListing(delivery: fullDelivery.delivery, message: fullDelivery.message, attempts: fullDelivery.attempts)
        var listingRecord = ListingRecord(reference: "L-42", allowPartial: true, photosDigest: "d", photoCount: 2, createdAt: now)
        listingRecord.id = 3
        listingRecord.outcome = .completedWithFailures
        listingRecord.completedAt = now
        listingRecord.keyName = "editor"
        var photoRecord = ListingPhotoRecord(listing: 3, position: 0, photo: ListingPhotoRequest(name: "kitchen.jpg", imageURL: "upload:" + String(repeating: "ab", count: 32)),
                                             createdAt: now)
        photoRecord.id = 5
        photoRecord.generation = full.id
        photoRecord.launchPending = false
        let fullPhoto = ListingPhotoView(photoRecord, generation: full, files: ArchiveViewSamples.files(of: full, now: now), earlier: [2])
        let barePhoto = ListingPhotoView(ListingPhotoRecord(listing: 3, position: 1, photo: ListingPhotoRequest(name: "hall.jpg", imageURL: "https://images.example/hall.jpg"),
                                                            createdAt: now), generation: nil, files: nil, earlier: [])
        let fullListingView = ListingView(listingRecord, counts: [GenerationState.succeeded: 1, nil: 1], photos: [fullPhoto, barePhoto])
        let bareListingView = ListingView(ListingRecord(reference: "L-43", allowPartial: false, photosDigest: "d", photoCount: 1, createdAt: now), counts: [:])
        var fullKey = KeyRecord(name: "importer", scopes: [.read, .submit], tokenHash: "h", budget: KeyBudget(limit: 500, period: .month), createdAt: now)
        fullKey.lastUsedAt = now
        fullKey.revokedAt = now
        fullKey.previousValidUntil = now
        let fullKeyView = KeyView(KeyUsage(key: fullKey, used: 3, window: now..<now.addingTimeInterval(60)))
        let bareKeyView = KeyView(KeyUsage(key: KeyRecord(name: "reader", scopes: [.read], tokenHash: "h", budget: nil, createdAt: now), used: 0,
                                           window: now..<now.addingTimeInterval(60)))
        let cases: [(schema: String, full: Data, bare: Data)] = [
            ("Generation", try APIJSON.encode(GenerationView(full, files: ArchiveViewSamples.files(of: full, now: now))),
             try APIJSON.encode(GenerationView(bare))),
            ("Event", try APIJSON.encode(EventView(fullEvent)), try APIJSON.encode(EventView(bareEvent))),
            ("GenerationList", try APIJSON.encode(GenerationListView(generations: [GenerationView(full), GenerationView(bare)], nextCursor: "8")),
             try APIJSON.encode(GenerationListView(generations: [], nextCursor: nil))),
            ("EventList", try APIJSON.encode(EventListView(generationID: "9b2f4c1e-3d5a-4e6f-8a7b-1c2d3e4f5a6b", events: [EventView(fullEvent), EventView(bareEvent)], nextCursor: "12")),
             try APIJSON.encode(EventListView(generationID: nil, events: [], nextCursor: nil))),
            ("Project", try APIJSON.encode(ProjectView(id: StoreFormat.uuid(UUID()), createdAt: StoreFormat.timestamp(now), variationsCount: 1,
                                                       generations: [GenerationView(full)])),
             try APIJSON.encode(ProjectView(id: StoreFormat.uuid(UUID()), createdAt: StoreFormat.timestamp(now), variationsCount: 0, generations: []))),
            ("Stats", try APIJSON.encode(StatsView(fullStats, keys: [], pollsInFlight: 2, now: now)),
             try APIJSON.encode(StatsView(bareStats, keys: [], pollsInFlight: 0, now: now))),
            ("Key", try APIJSON.encode(fullKeyView), try APIJSON.encode(bareKeyView)),
            ("KeyList", try APIJSON.encode(KeyListView(keys: [fullKeyView, bareKeyView])), try APIJSON.encode(KeyListView(keys: []))),
            ("KeyWithToken", try APIJSON.encode(KeyTokenView(key: fullKeyView, token: "dcl_x")), try APIJSON.encode(KeyTokenView(key: bareKeyView, token: "dcl_x"))),
            ("DashboardLink", try APIJSON.encode(DashboardLinkView(path: "/login?code=x", expiresAt: StoreFormat.timestamp(now))),
             try APIJSON.encode(DashboardLinkView(path: "/login?code=x", expiresAt: StoreFormat.timestamp(now)))),
            ("Readiness", try APIJSON.encode(ReadinessView(status: "not_ready", reasons: ["callback listener not bound"])),
             try APIJSON.encode(ReadinessView(status: "ready", reasons: []))),
            ("Endpoint", try APIJSON.encode(EndpointView(fullEndpoint, now: now)), try APIJSON.encode(EndpointView(bareEndpoint, now: now))),
            ("EndpointWithSecret", try APIJSON.encode(EndpointSecretView(fullEndpoint, now: now)),
             try APIJSON.encode(EndpointSecretView(bareEndpoint, now: now))),
            ("EndpointList", try APIJSON.encode(EndpointListView(endpoints: [EndpointView(fullEndpoint, now: now)])),
             try APIJSON.encode(EndpointListView(endpoints: []))),
            ("Delivery", try APIJSON.encode(DeliveryView(fullListing)), try APIJSON.encode(DeliveryView(bareDelivery))),
            ("DeliveryAttempt", try APIJSON.encode(DeliveryAttemptView(fullDelivery.attempts[0])),
             try APIJSON.encode(DeliveryAttemptView(fullDelivery.attempts[1]))),
            ("DeliveryDetail", try APIJSON.encode(DeliveryDetailView(fullListing)), try APIJSON.encode(DeliveryDetailView(bareDelivery))),
            ("DeliveryList", try APIJSON.encode(DeliveryListView(deliveries: [DeliveryView(fullListing), DeliveryView(bareDelivery)], nextCursor: "3")),
             try APIJSON.encode(DeliveryListView(deliveries: [], nextCursor: nil))),
            ("Queued", try APIJSON.encode(QueuedView(queued: 2)), try APIJSON.encode(QueuedView(queued: 0))),
            ("Listing", try APIJSON.encode(fullListingView), try APIJSON.encode(bareListingView)),
            ("ListingPhoto", try APIJSON.encode(fullPhoto), try APIJSON.encode(barePhoto)),
            ("ListingList", try APIJSON.encode(ListingListView(listings: [bareListingView, fullListingView], nextCursor: "3")),
             try APIJSON.encode(ListingListView(listings: [], nextCursor: nil))),
        ]
        for (name, fullBody, bareBody) in cases {
            let schema = try #require(Self.document["components"]?["schemas"]?[name])
            let properties = Set(schema["properties"]?.keys ?? [])
            let required = Set(schema["required"]?.strings ?? [])
            let fullValue = try #require(JSONValue.parse(fullBody))
            let bareValue = try #require(JSONValue.parse(bareBody))
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
        let statuses = Self.document["components"]?["schemas"]?["GenerationStatus"]?["enum"]?.strings ?? []
        #expect(statuses == GenerationState.allCases.map(\.rawValue))
        let listingCounts = Set(Self.document["components"]?["schemas"]?["Listing"]?["properties"]?["counts"]?["properties"]?.keys ?? [])
        #expect(listingCounts == Set(GenerationState.allCases.map { $0.rawValue.lowercased() } + ["queued"]))
        #expect(Self.document["components"]?["schemas"]?["ListingState"]?["enum"]?.strings == ListingState.allCases.map(\.rawValue))
    }

    @Test("the request URL fields carry the URL rule of config/retrieval.schema.json ($defs/imageUrl)")
    func requestURLsFollowTheRule() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("config/retrieval.schema.json"))
        let retrieval = try #require(JSONValue.parse(data))
        guard case .object(let top) = retrieval, case .object(let definitions)? = top["$defs"], case .object(let imageURL)? = definitions["imageUrl"],
              case .array(let parts)? = imageURL["allOf"] else {
            Issue.record("no $defs/imageUrl with allOf in config/retrieval.schema.json")
            return
        }
        let rulePatterns = parts.compactMap { part -> String? in
            if case .object(let object) = part, case .string(let pattern)? = object["pattern"] { return pattern }
            return nil
        }
        #expect(rulePatterns.count == 2)
        let schema = try #require(Self.document["components"]?["schemas"]?["HTTPURL"])
        #expect(schema["type"]?.string == "string")
        #expect(schema["maxLength"]?.number == Double(RetrievalPayloadValidator.maximumURLLength))
        #expect(YAMLNode(imageURL["maxLength"] ?? .null).number == schema["maxLength"]?.number)
        #expect(schema["not"]?["pattern"]?.string == "[^!-~]")
        #expect(YAMLNode(imageURL["not"] ?? .null)["pattern"]?.string == schema["not"]?["pattern"]?.string)
        // The first pattern stands at the top (see the comment in the document), the second in allOf.
        let documented = [schema["pattern"]?.string].compactMap { $0 } + (schema["allOf"]?.items.compactMap { $0["pattern"]?.string } ?? [])
        #expect(documented == rulePatterns, "the patterns of HTTPURL are those of $defs/imageUrl, unchanged")
        #expect(schema["description"]?.string?.contains("docs/contract.md#urls") == true)

        let fields: [(schema: String, field: String, nullable: Bool)] = [
            ("GenerationRequest", "image_url", false), ("GenerationRequest", "mask_url", true),
            ("VariationRequest", "original_url", true), ("VariationRequest", "mask_url", true),
            ("EndpointRequest", "url", false), ("EndpointUpdate", "url", false),
            ("ListingPhotoRequest", "image_url", false), ("ListingPhotoRequest", "mask_url", true),
        ]
        for (name, field, nullable) in fields {
            let property = try #require(Self.document["components"]?["schemas"]?[name]?["properties"]?[field], "\(name).\(field)")
            #expect(property["description"]?.string?.contains("docs/contract.md#urls") == true, "\(name).\(field) points to the rule")
            #expect(property["pattern"] == nil && property["format"] == nil, "\(name).\(field): no rule of its own")
            let references = (nullable ? property["anyOf"]?.items ?? [] : [property]).compactMap { $0["$ref"]?.string }
            #expect(references == ["#/components/schemas/HTTPURL"], "\(name).\(field) uses HTTPURL")
            if nullable {
                #expect(property["anyOf"]?.items.contains { $0["type"]?.string == "null" } == true, "\(name).\(field) may be null")
            }
        }
    }

    @Test("Idempotency-Key: exactly the documented pattern and lengths")
    func idempotencyKeyRule() throws {
        let schema = try #require(Self.document["components"]?["parameters"]?["IdempotencyKey"]?["schema"])
        #expect(schema["pattern"]?.string == "^[!-~]+$" && schema["minLength"]?.number == 1 && schema["maxLength"]?.number == 200)
        for key in ["a", "cli-0b7c", "!~", String(repeating: "k", count: 200)] {
            #expect(LocalAPIController.isValidIdempotencyKey(key), "\(key.debugDescription)")
        }
        for key in ["", "has space", "tab\tkey", "del\u{7F}", "nul\u{0}", "caf\u{E9}", String(repeating: "k", count: 201)] {
            #expect(!LocalAPIController.isValidIdempotencyKey(key), "\(key.debugDescription)")
        }
    }

    // MARK: - Against a running daemon

    @Test("GET /openapi.yaml serves the document as YAML")
    func served() async throws {
        try await RouterHarness.with { harness in
            let reply = try await harness.local("GET", "/openapi.yaml")
            #expect(reply.status == 200)
            #expect(reply.header("content-type")?.hasPrefix("application/yaml") == true)
            #expect(reply.text == OpenAPIDocument.yaml)
            #expect((try? YAMLNode.parse(reply.text))?.root["openapi"]?.string == "3.1.0")
        }
    }

    @Test("every documented route answers one of its documented statuses, with a body that matches its schema")
    func everyRouteAnswers() async throws {
        try await Harness.with { harness in
            // Endpoints 1 and 2 take the generation's first message: deliveries 1 and 2 (DELETE, first in order, removes 2).
            for name in ["kept", "removed"] {
                let added = try await harness.local("POST", "/v1/endpoints", json: #"{"url": "http://127.0.0.1:9/\#(name)"}"#)
                #expect(added.status == 201, "\(added.text)")
            }
            let record = try await harness.submit()
            let id = try #require(record["id"] as? Int)
            let generationID = try #require(record["generation_id"] as? String)
            let projectID = try #require(record["project_id"] as? String)
            let archived = try E2E.row(try await harness.settledInArchive())
            let uploaded = try await harness.generationWithUpload(ArchiveServing.png())
            #expect(try await harness.local("POST", "/v1/listings", json: ListingTests.urlListing("L-doc", photos: 2)).status == 202)
            _ = try await harness.listingEnded("L-doc")
            for name in ["doc-key", "rotated-key"] { _ = try await harness.database.issueKey(name: name, scopes: [.read], budget: nil, at: Date()) }

            let calls: [String: (path: String, body: String?, status: Int)] = [
                "GET /healthz": ("/healthz", nil, 200),
                "GET /readyz": ("/readyz", nil, 200),
                "GET /openapi.yaml": ("/openapi.yaml", nil, 200),
                "GET /metrics": ("/metrics", nil, 200),
                "POST /v1/generations": ("/v1/generations", #"{"image_url": "https://images.example/kitchen.jpg", "auto": true}"#, 202),
                "GET /v1/generations": ("/v1/generations?limit=10&status=starting", nil, 200),
                "GET /v1/generations/{id}": ("/v1/generations/\(id)?wait=0.2", nil, 200),
                "GET /v1/generations/{id}/events": ("/v1/generations/\(generationID)/events", nil, 200),
                "GET /v1/generations/{id}/images/{n}": ("/v1/generations/\(archived)/images/1", nil, 200),
                "GET /v1/generations/{id}/inputs/{role}": ("/v1/generations/\(uploaded)/inputs/image", nil, 200),
                "POST /v1/generations/{id}/variations": ("/v1/generations/\(id)/variations", "", 202),
                "POST /v1/generations/{id}/refresh": ("/v1/generations/\(generationID)/refresh", nil, 200),
                "POST /v1/track": ("/v1/track", #"{"generation_id": "\#(UUID().uuidString.lowercased())"}"#, 202),
                "GET /v1/projects/{id}": ("/v1/projects/\(projectID)", nil, 200),
                "GET /v1/stats": ("/v1/stats", nil, 200),
                "POST /v1/endpoints": ("/v1/endpoints", #"{"url": "http://127.0.0.1:9/new", "types": ["generation.succeeded"], "description": "d"}"#, 201),
                "GET /v1/endpoints": ("/v1/endpoints", nil, 200),
                "GET /v1/endpoints/{id}": ("/v1/endpoints/1", nil, 200),
                "PATCH /v1/endpoints/{id}": ("/v1/endpoints/1", #"{"description": "the listing app", "types": null}"#, 200),
                "DELETE /v1/endpoints/{id}": ("/v1/endpoints/2", nil, 204),
                "POST /v1/endpoints/{id}/disable": ("/v1/endpoints/1/disable", nil, 200),
                "POST /v1/endpoints/{id}/enable": ("/v1/endpoints/1/enable", nil, 200),
                "POST /v1/endpoints/{id}/rotate-secret": ("/v1/endpoints/1/rotate-secret", nil, 200),
                "POST /v1/endpoints/{id}/recover": ("/v1/endpoints/1/recover", #"{"since": "2h"}"#, 202),
                "GET /v1/deliveries": ("/v1/deliveries?endpoint_id=1&status=pending&generation_id=\(generationID)&limit=5", nil, 200),
                "GET /v1/deliveries/{id}": ("/v1/deliveries/1", nil, 200),
                "POST /v1/messages/{id}/redeliver": ("/v1/messages/1/redeliver", "", 202),
                "POST /v1/listings": ("/v1/listings", ListingTests.urlListing("L-new", photos: 1), 202),
                "GET /v1/listings": ("/v1/listings?state=completed&limit=5&since=2026-01-01T00:00:00Z", nil, 200),
                "GET /v1/listings/{reference}": ("/v1/listings/L-doc", nil, 200),
                "POST /v1/listings/{reference}/retry": ("/v1/listings/L-doc/retry", nil, 200),
                "GET /v1/listings/{reference}/results.zip": ("/v1/listings/L-doc/results.zip", nil, 200),
                // A followed generation's stream ends after its terminal message.
                "GET /v1/events": ("/v1/events?generation_id=\(id)", nil, 200),
                "GET /": ("/", nil, 200),
                "GET /generations": ("/generations?status=succeeded&kind=generation&since=2026-01-01T00:00:00Z", nil, 200),
                "GET /generations/{id}": ("/generations/\(archived)", nil, 200),
                "GET /endpoints": ("/endpoints", nil, 200),
                "GET /listings": ("/listings", nil, 200),
                "GET /listings/{reference}": ("/listings/L-doc", nil, 200),
                "GET /dashboard/app.css": ("/dashboard/app.css", nil, 200),
                "GET /dashboard/app.js": ("/dashboard/app.js", nil, 200),
                "GET /keys": ("/keys", nil, 200),
                "GET /v1/keys": ("/v1/keys", nil, 200),
                "POST /v1/keys": ("/v1/keys", #"{"name": "new-key", "scopes": ["read", "submit"], "budget": "50/day"}"#, 201),
                "GET /v1/keys/{name}": ("/v1/keys/doc-key", nil, 200),
                "POST /v1/keys/{name}/revoke": ("/v1/keys/doc-key/revoke", nil, 200),
                "POST /v1/keys/{name}/rotate": ("/v1/keys/rotated-key/rotate", #"{"grace": "1h"}"#, 200),
                // With local.auth off (this harness), no link is made; KeyTests makes them with keys required.
                "POST /v1/dashboard-links": ("/v1/dashboard-links", nil, 409),
                "GET /login": ("/login?code=unknown", nil, 401),
                "POST /logout": ("/logout", nil, 204),
            ]
            let served = harness.daemon.daemon.servedLocalRoutes
            #expect(Set(calls.keys) == Set(served), "a call for every served route")
            #expect(Set(calls.keys) == Set(Self.operations.map(\.route)), "a call for every documented route")
            for route in served {
                guard let call = calls[route] else { continue }
                let method = String(route.split(separator: " ")[0])
                let reply = try await harness.local(method, call.path, json: call.body)
                #expect(reply.status != 404 && reply.status != 405, "\(route) answered \(reply.status): \(reply.text)")
                #expect(reply.status == call.status, "\(route) answered \(reply.status): \(reply.text)")
                Self.expectDocumented(route, reply)
            }
            let metrics = try await harness.local("GET", "/metrics")
            #expect(metrics.header("content-type")?.hasPrefix("text/plain") == true)
            let health = try await harness.local("GET", "/healthz")
            #expect(health.header("content-type") == "text/plain; charset=utf-8" && health.text == "ok\n")
        }
    }

    @Test("the documented error statuses are the ones the handlers give, in the error shape", arguments: StoreBackend.available)
    func documentedErrors(_ backend: StoreBackend) async throws {
        try await Harness.with(backend: backend) { harness in
            let record = try await harness.submit()
            let id = try #require(record["id"] as? Int)
            let generationID = try #require(record["generation_id"] as? String)
            // The sandbox refuses a gif: REJECTED, no upstream generation_id.
            let refused = try await harness.local("POST", "/v1/generations", json: #"{"image_url": "https://images.example/room.gif", "auto": true}"#)
            #expect(refused.status == 202 && refused.json["status"] as? String == "REJECTED", "\(refused.text)")
            Self.expectDocumented("POST /v1/generations", refused)
            let rejectedID = try #require(refused.json["id"] as? Int)
            let unknown = UUID().uuidString.lowercased()
            // A tracked generation has no image_url to default original_url to.
            let tracked = try await harness.local("POST", "/v1/track", json: #"{"generation_id": "\#(UUID().uuidString.lowercased())"}"#)
            #expect(tracked.status == 202, "\(tracked.text)")
            let trackedID = try #require(tracked.json["id"] as? Int)
            let huge = #"{"image_url": "https://images.example/\#(String(repeating: "x", count: 70_000)).jpg", "auto": true}"#

            let calls: [(route: String, path: String, body: String?, headers: [String: String], status: Int, code: String?)] = [
                ("GET /v1/generations", "/v1/generations?limit=0", nil, [:], 400, "invalid_limit"),
                ("GET /v1/generations", "/v1/generations?status=DONE", nil, [:], 400, "invalid_status"),
                ("GET /v1/generations", "/v1/generations?since=yesterday", nil, [:], 400, "invalid_since"),
                ("GET /v1/generations", "/v1/generations?cursor=-1", nil, [:], 400, "invalid_cursor"),
                ("GET /v1/generations", "/v1/generations?cursor=0", nil, [:], 400, "invalid_cursor"),
                ("GET /v1/generations", "/v1/generations?cursor=07", nil, [:], 400, "invalid_cursor"),
                ("GET /v1/generations", "/v1/generations?cursor=%2B7", nil, [:], 400, "invalid_cursor"),
                // Any cursor the documented pattern allows is a position, even one past every possible id.
                ("GET /v1/generations", "/v1/generations?cursor=189850514112005550315", nil, [:], 200, nil),
                ("GET /v1/generations/{id}/events", "/v1/generations/\(id)/events?cursor=189850514112005550315", nil, [:], 200, nil),
                ("GET /v1/generations", "/v1/generations?project_id=nope", nil, [:], 400, "invalid_project_id"),
                ("GET /v1/generations", "/v1/generations?since=2020-01-01T00:00:00Z&project_id=\(unknown)", nil, [:], 200, nil),
                // `format: date-time` is RFC 3339: any offset, any number of fraction digits.
                ("GET /v1/generations", "/v1/generations?since=1862-05-06T19%3A44%3A15.946-09%3A18", nil, [:], 200, nil),
                ("GET /v1/generations", "/v1/generations?since=2020-01-01T00%3A00%3A00.123456%2B14%3A00", nil, [:], 200, nil),
                ("GET /v1/generations", "/v1/generations?since=2020-01-01T00%3A00%3A00%2B0100", nil, [:], 400, "invalid_since"),
                ("GET /v1/generations/{id}", "/v1/generations/abc", nil, [:], 400, "invalid_id"),
                ("GET /v1/generations/{id}", "/v1/generations/999999", nil, [:], 404, "not_found"),
                ("GET /v1/generations/{id}", "/v1/generations/\(unknown)", nil, [:], 404, "not_found"),
                ("GET /v1/generations/{id}", "/v1/generations/\(id)?wait=61", nil, [:], 400, "invalid_wait"),
                ("GET /v1/generations/{id}/events", "/v1/generations/0/events", nil, [:], 400, "invalid_id"),
                ("GET /v1/generations/{id}/events", "/v1/generations/\(unknown)/events", nil, [:], 404, "not_found"),
                // The sandbox lists two result images: there is never a third. (409, 410, 416: ArchiveServingTests.)
                ("GET /v1/generations/{id}/images/{n}", "/v1/generations/\(id)/images/2", nil, [:], 404, "not_found"),
                ("GET /v1/generations/{id}/images/{n}", "/v1/generations/\(unknown)/images/0", nil, [:], 404, "not_found"),
                ("GET /v1/generations/{id}/images/{n}", "/v1/generations/\(id)/images/first", nil, [:], 400, "invalid_n"),
                ("GET /v1/generations/{id}/images/{n}", "/v1/generations/0/images/0", nil, [:], 400, "invalid_id"),
                ("GET /v1/generations/{id}/inputs/{role}", "/v1/generations/\(id)/inputs/image", nil, [:], 404, "not_found"),
                ("GET /v1/generations/{id}/inputs/{role}", "/v1/generations/\(id)/inputs/photo", nil, [:], 400, "invalid_role"),
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
                ("POST /v1/generations/{id}/variations", "/v1/generations/\(trackedID)/variations", "", [:], 409, "parent_has_no_image_url"),
                ("POST /v1/generations/{id}/variations", "/v1/generations/\(trackedID)/variations",
                 #"{"original_url": "https://images.example/tracked.jpg", "mask_url": "HTTPS://[::1]:8443/m%20ask.png?a=b#c"}"#, [:], 202, nil),
                ("POST /v1/generations/{id}/variations", "/v1/generations/\(id)/variations", #"{"mask_url": "https://\u00cf"}"#, [:], 400, "invalid_mask_url"),
                ("POST /v1/generations/{id}/refresh", "/v1/generations/999999/refresh", nil, [:], 404, "not_found"),
                ("POST /v1/generations/{id}/refresh", "/v1/generations/\(rejectedID)/refresh", nil, [:], 409, "not_pollable"),
                ("POST /v1/track", "/v1/track", "{}", [:], 400, "invalid_generation_id"),
                ("POST /v1/track", "/v1/track", #"{"generation_id": "\#(generationID)"}"#, [:], 200, nil),
                ("GET /v1/projects/{id}", "/v1/projects/abc", nil, [:], 400, "invalid_id"),
                ("GET /v1/projects/{id}", "/v1/projects/\(unknown)", nil, [:], 404, "not_found"),
                ("GET /v1/events", "/v1/events?after=-1", nil, [:], 400, "invalid_after"),
                ("GET /v1/events", "/v1/events?after=1.5", nil, [:], 400, "invalid_after"),
                ("GET /v1/events", "/v1/events", nil, ["Last-Event-ID": "msg_3"], 400, "invalid_last_event_id"),
                ("GET /v1/events", "/v1/events?after=-1", nil, ["Last-Event-ID": "0"], 400, "invalid_after"),
                ("GET /v1/events", "/v1/events?types=generation.created,nope", nil, [:], 400, "invalid_types"),
                ("GET /v1/events", "/v1/events?types=", nil, [:], 400, "invalid_types"),
                ("GET /v1/events", "/v1/events?generation_id=0", nil, [:], 400, "invalid_generation_id"),
                ("GET /v1/events", "/v1/events?generation_id=\(unknown)", nil, [:], 404, "not_found"),
                ("GET /v1/events", "/v1/events?generation_id=\(id)&types=generation.created", nil, ["Last-Event-ID": "0"], 200, nil),
                ("POST /v1/listings", "/v1/listings", "{}", [:], 400, "invalid_reference"),
                ("POST /v1/listings", "/v1/listings", #"{"reference": "L-e", "auto": true, "photos": "none"}"#, [:], 400, "invalid_photos"),
                ("POST /v1/listings", "/v1/listings", #"{"reference": "L-e", "photos": [{"name": "a", "image_url": "https://images.example/a.jpg"}]}"#,
                 [:], 400, "invalid_mask"),
                ("GET /v1/listings", "/v1/listings?state=done", nil, [:], 400, "invalid_state"),
                ("GET /v1/listings", "/v1/listings?limit=0", nil, [:], 400, "invalid_limit"),
                ("GET /v1/listings/{reference}", "/v1/listings/L-none", nil, [:], 404, "not_found"),
                ("GET /v1/listings/{reference}", "/v1/listings/-x", nil, [:], 400, "invalid_reference"),
                ("POST /v1/listings/{reference}/retry", "/v1/listings/L-none/retry", nil, [:], 404, "not_found"),
                ("GET /v1/listings/{reference}/results.zip", "/v1/listings/L-none/results.zip", nil, [:], 404, "not_found"),
            ] + DeliveryErrorCalls.calls(unknownUUID: unknown)
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
        }
    }

    @Test("the guard's 403, 415 and 421 are documented on every operation they can answer, and refuse before any handler")
    func guardRefusals() async throws {
        try await Harness.with { harness in
            // Endpoint 1 takes the generation's first message (delivery 1): every `{id}` below is 1.
            let endpoint = try await harness.local("POST", "/v1/endpoints", json: #"{"url": "http://127.0.0.1:9/hooks"}"#)
            #expect(endpoint.status == 201, "\(endpoint.text)")
            let record = try await harness.submit()
            let id = try #require(record["id"] as? Int)
            let projectID = try #require(record["project_id"] as? String)
            // The file routes serve a file when let through: an archived image, an uploaded photo.
            let archived = try E2E.row(try await harness.settledInArchive())
            let uploaded = try await harness.generationWithUpload(ArchiveServing.png())
            let files = ["/v1/generations/{id}/images/{n}": "/v1/generations/\(archived)/images/0",
                         "/v1/generations/{id}/inputs/{role}": "/v1/generations/\(uploaded)/inputs/image"]
            // A listing's routes need a listing; its launches end before the count below is taken.
            #expect(try await harness.local("POST", "/v1/listings", json: ListingTests.urlListing("L-guard", photos: 1)).status == 202)
            _ = try await harness.listingEnded("L-guard")
            _ = try await harness.database.issueKey(name: "guard-key", scopes: [.read], budget: nil, at: Date())
            let before = try await harness.local("GET", "/v1/generations?limit=500").json["generations"] as? [Any]
            let port = try #require(URL(string: harness.daemon.localURL)?.port)
            let bodies = [
                "POST /v1/generations": #"{"image_url": "https://images.example/guarded.jpg", "auto": true}"#,
                "POST /v1/generations/{id}/variations": "{}",
                "POST /v1/generations/{id}/refresh": "{}",
                "POST /v1/track": #"{"generation_id": "\#(UUID().uuidString.lowercased())"}"#,
                "POST /v1/endpoints": #"{"url": "http://127.0.0.1:9/guarded"}"#,
                "PATCH /v1/endpoints/{id}": #"{"url": "http://127.0.0.1:9/moved"}"#,
                "POST /v1/endpoints/{id}/enable": "{}",
                "POST /v1/endpoints/{id}/disable": "{}",
                "POST /v1/endpoints/{id}/rotate-secret": "{}",
                "POST /v1/endpoints/{id}/recover": #"{"since": "2h"}"#,
                "POST /v1/messages/{id}/redeliver": "{}",
                "POST /v1/listings": ListingTests.urlListing("L-guarded", photos: 1),
                "POST /v1/listings/{reference}/retry": "{}",
                "POST /v1/keys": #"{"name": "guarded", "scopes": ["read"]}"#,
                "POST /v1/keys/{name}/revoke": "{}",
                "POST /v1/keys/{name}/rotate": "{}",
                "POST /v1/dashboard-links": "{}",
                "POST /logout": "{}",
            ]
            let operations = Self.operations
            #expect(Set(operations.filter { ["POST", "PATCH"].contains($0.method) }.map(\.route)) == Set(bodies.keys), "a body for every POST and PATCH")
            for operation in operations {
                // The event stream of a generation ends after its terminal message: a GET that lets it through comes back.
                let path = files[operation.path] ?? Self.concrete(operation.path, id: operation.path.hasPrefix("/v1/projects/") ? projectID
                    : operation.path.hasPrefix("/v1/listings/") || operation.path.hasPrefix("/listings/") ? "L-guard"
                    : operation.path.hasPrefix("/v1/keys/") ? "guard-key" : "\(id)")
                    + (operation.path == "/v1/events" ? "?generation_id=\(id)" : "")
                let body = bodies[operation.route]
                let refusals: [(headers: [String: String], status: Int, code: String)] = [
                    (["Origin": "http://evil.example"], 403, "cross_origin_refused"),
                    (["Origin": "null"], 403, "cross_origin_refused"),
                    (["Sec-Fetch-Site": "cross-site"], 403, "cross_origin_refused"),
                    (["Host": "rebound.example:\(port)"], 421, "host_not_allowed"),
                    (["Host": "rebound.example"], 421, "host_not_allowed"),
                ] + (["POST", "PATCH"].contains(operation.method) ? [
                    (["Content-Type": "text/plain"], 415, "unsupported_media_type"),
                    (["Content-Type": "application/x-www-form-urlencoded"], 415, "unsupported_media_type"),
                ] : [])
                for refusal in refusals {
                    let reply = try await harness.local(operation.method, path, json: body, headers: refusal.headers)
                    #expect(reply.status == refusal.status && Self.errorCode(reply) == refusal.code,
                            "\(operation.route) with \(refusal.headers) answered \(reply.status): \(reply.text.prefix(300))")
                    Self.expectDocumented(operation.route, reply)
                }
                // This API's own origin, a same-origin fetch and a loopback name are let through.
                let allowed: [[String: String]] = [["Origin": "http://127.0.0.1:\(port)"], ["Sec-Fetch-Site": "same-origin"], ["Host": "localhost:\(port)"]]
                // (A login link with no code is a bad request, whoever sends it.)
                if operation.method == "GET", operation.path != DashboardLogin.loginPath {
                    for headers in allowed {
                        let reply = try await harness.local("GET", path, headers: headers)
                        #expect(reply.status == 200, "\(operation.route) with \(headers) answered \(reply.status): \(reply.text.prefix(300))")
                        Self.expectDocumented(operation.route, reply)
                    }
                }
            }
            let after = try await harness.local("GET", "/v1/generations?limit=500").json["generations"] as? [Any]
            #expect(before != nil && before?.count == after?.count, "a refused POST creates nothing")
            let endpoints = try await harness.database.endpoints()
            #expect(try await harness.database.keys(at: Date()).map { $0.key.name } == ["guard-key"], "a refused request makes no key")
            #expect(try await harness.database.key(named: "guard-key", at: Date())?.key.revokedAt == nil, "a refused request revokes no key")
            #expect(endpoints.count == 1 && endpoints.first?.url == "http://127.0.0.1:9/hooks" && endpoints.first?.secret == E2E.string(endpoint.json, "secret"),
                    "a refused request changes no endpoint: \(endpoints)")
        }
    }

    @Test("405 with Allow on each route")
    func methodNotAllowedOnEachRoute() async throws {
        // QUERY stands for any method beyond the usual ones: it too gets 405 on a served path.
        let tried = ["GET", "POST", "PUT", "PATCH", "DELETE", "QUERY"]
        let byPath = Dictionary(grouping: Self.operations, by: \.path)
        #expect(!byPath.isEmpty)
        try await RouterHarness.with { harness in
            var checked = 0
            for (path, operations) in byPath.sorted(by: { $0.key < $1.key }) {
                let documented = Set(operations.map(\.method))
                let concrete = Self.concrete(path, id: "1")
                for method in tried where !documented.contains(method) {
                    let reply = try await harness.local(method, concrete, json: ["GET", "DELETE"].contains(method) ? nil : "{}")
                    #expect(reply.status == 405, "\(method) \(path) answered \(reply.status): \(reply.text.prefix(300))")
                    #expect(Self.errorCode(reply) == "method_not_allowed", "\(method) \(path): \(reply.text.prefix(300))")
                    let allow = Set((reply.header("Allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                    // HEAD is GET without the body: naming it for a GET path is fine, never for another.
                    #expect(allow == documented || (documented.contains("GET") && allow == documented.union(["HEAD"])),
                            "\(method) \(path): Allow \(reply.header("Allow") ?? "missing"), documented \(documented.sorted())")
                    for operation in operations { Self.expectDocumented(operation.route, reply) }
                    checked += 1
                }
            }
            #expect(checked == byPath.count * tried.count - Self.operations.count)
        }
    }

    @Test("without a public base URL, submissions answer the documented 503")
    func noPublicBaseURL() async throws {
        try await Harness.with(adjust: { $0.publicBaseURLFromListener = false; $0.publicBaseURL = nil }) { harness in
            let submit = try await harness.local("POST", "/v1/generations", json: #"{"image_url": "https://images.example/room.jpg", "auto": true}"#)
            #expect(submit.status == 503 && Self.errorCode(submit) == "no_public_base_url", "\(submit.text)")
            Self.expectDocumented("POST /v1/generations", submit)
        }
    }

    @Test("undocumented routes answer 404, or 405 with Allow on a documented path, in the error shape")
    func undocumentedRoutes() async throws {
        try await Harness.with { harness in
            _ = try await harness.submit()
            let calls: [(method: String, path: String, status: Int)] = [
                ("DELETE", "/v1/generations/1", 405), ("GET", "/v1/admin", 404), ("POST", "/callbacks/x", 404),
                ("GET", "/v1/generations/1/secret", 404), ("PUT", "/v1/stats", 405), ("PATCH", "/v1/generations", 405),
                ("GET", "/v1/track", 405), ("POST", "/healthz", 405), ("GET", "/v1/projects", 404), ("GET", "/dashboard", 404), ("POST", "/", 405),
                ("GET", "/v2/generations", 404), ("QUERY", "/v1/stats", 405), ("QUERY", "/v1/generations/7/events", 405),
                ("QUERY", "/v1/nowhere", 404), ("PROPFIND", "/v1/generations", 405),
            ]
            let errorSchema = try #require(Self.document["components"]?["schemas"]?["Error"])
            for (method, path, status) in calls {
                let reply = try await harness.local(method, path, json: method == "GET" ? nil : "{}")
                #expect(reply.status == status, "\(method) \(path) answered \(reply.status)")
                #expect(Self.errorCode(reply) == (status == 404 ? "not_found" : "method_not_allowed"), "\(method) \(path): \(reply.text)")
                #expect((reply.header("Allow") != nil) == (status == 405), "\(method) \(path): Allow \(reply.header("Allow") ?? "-")")
                #expect(reply.header("content-type")?.hasPrefix("application/json") == true, "\(method) \(path)")
                let value = JSONValue.parse(reply.body)
                #expect(value.map { OpenAPISchemaCheck.issues($0, errorSchema).isEmpty } == true, "\(method) \(path): \(reply.text)")
            }
        }
    }

    // MARK: - Helpers

    struct Operation {
        let method: String
        let path: String
        let pathItem: YAMLNode
        let operation: YAMLNode
        var route: String { "\(method) \(path)" }
    }

    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// Every operation under `paths:`, as `METHOD /path`.
    static var operations: [Operation] {
        guard let paths = document["paths"] else { return [] }
        return paths.entries.flatMap { path, item in
            item.entries.filter { methods.contains($0.key) }.map { Operation(method: $0.key.uppercased(), path: path, pathItem: item, operation: $0.value) }
        }
    }

    /// A path template with every `{parameter}` replaced by `id`.
    static func concrete(_ path: String, id: String) -> String {
        path.replacingOccurrences(of: #"\{[^}/]+\}"#, with: id, options: .regularExpression)
    }

    /// Every `$ref` value in the document.
    static func references(in node: YAMLNode) -> Set<String> {
        var found = Set<String>()
        for (key, child) in node.entries {
            if key == "$ref", let target = child.string { found.insert(target) } else { found.formUnion(references(in: child)) }
        }
        for item in node.items { found.formUnion(references(in: item)) }
        return found
    }

    /// `#/components/section/name`.
    static func resolve(_ reference: String) -> YAMLNode? {
        let parts = reference.split(separator: "/").map(String.init)
        guard parts.count == 4, parts[0] == "#", parts[1] == "components" else { return nil }
        return document["components"]?[parts[2]]?[parts[3]]
    }

    static func dereferenced(_ node: YAMLNode?) -> YAMLNode? {
        guard let node else { return nil }
        if let reference = node["$ref"] { return reference.string.flatMap(resolve) }
        return node
    }

    /// The path-level and operation-level parameters of a route, by name.
    static func parameters(of route: String) -> [(name: String, node: YAMLNode)] {
        guard let operation = operations.first(where: { $0.route == route }) else { return [] }
        let items = (operation.pathItem["parameters"]?.items ?? []) + (operation.operation["parameters"]?.items ?? [])
        return items.compactMap { item in
            dereferenced(item).flatMap { node in node["name"]?.string.map { ($0, node) } }
        }
    }

    /// The documented response of a route for a status.
    static func response(_ route: String, _ status: Int) -> YAMLNode? {
        dereferenced(operations.first { $0.route == route }?.operation["responses"]?[String(status)])
    }

    /// The reply's status is documented for the route, its required headers are there and match their
    /// schemas, and a JSON body matches the documented schema.
    static func expectDocumented(_ route: String, _ reply: Harness.Reply, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let response = response(route, reply.status) else {
            Issue.record("\(route) answered \(reply.status), not documented: \(reply.text.prefix(300))", sourceLocation: sourceLocation)
            return
        }
        for (name, declared) in response["headers"]?.entries ?? [] {
            guard let header = dereferenced(declared) else { continue }
            guard let value = reply.header(name) else {
                #expect(header["required"]?.bool != true, "\(route) \(reply.status): the required header \(name) is missing", sourceLocation: sourceLocation)
                continue
            }
            if let schema = header["schema"] {
                let issues = OpenAPISchemaCheck.issues(.string(value), schema, at: name)
                #expect(issues.isEmpty, "\(route) \(reply.status): \(issues)", sourceLocation: sourceLocation)
            }
        }
        guard let content = response["content"] else {
            #expect(reply.body.isEmpty, "\(route) \(reply.status) documents no body", sourceLocation: sourceLocation)
            return
        }
        if let schema = content["application/json"]?["schema"] {
            #expect(reply.header("content-type")?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
            guard let value = JSONValue.parse(reply.body) else {
                Issue.record("\(route) \(reply.status): not JSON: \(reply.text.prefix(300))", sourceLocation: sourceLocation)
                return
            }
            let issues = OpenAPISchemaCheck.issues(value, schema)
            #expect(issues.isEmpty, "\(route) \(reply.status): \(issues)", sourceLocation: sourceLocation)
        } else if let contentType = reply.header("content-type") {
            #expect(content.keys.contains { contentType.hasPrefix($0) }, "\(route) \(reply.status): \(contentType) is not one of \(content.keys)",
                    sourceLocation: sourceLocation)
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

/// A value of the document as Yams reads it, held as the `JSONValue` it stands for (OpenAPI is JSON).
struct YAMLNode: Sendable {
    let value: JSONValue

    init(_ value: JSONValue) { self.value = value }

    struct Parsed: Sendable {
        let root: YAMLNode
        /// What Yams reads without complaint but JSON (and so OpenAPI) cannot say: a key that is not a string
        /// (an unquoted status code), a timestamp, binary. (A key given twice is a Yams error.)
        let problems: [String]
    }

    /// Reads `text` with Yams, keys as strings; anything JSON has no type for is listed in `problems`.
    static func parse(_ text: String) throws -> Parsed {
        var problems: [String] = []
        if let composed = try Yams.compose(yaml: text) { keyProblems(composed, at: "", problems: &problems) }
        let root = normalized(try Yams.load(yaml: text) ?? NSNull(), at: "", problems: &problems)
        return Parsed(root: YAMLNode(root), problems: problems)
    }

    /// Yams turns every key into a string: only the composed nodes tell an unquoted `200:` from `'200':`.
    private static func keyProblems(_ node: Node, at path: String, problems: inout [String]) {
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                let name = key.string ?? "\(key)"
                if key.tag.rawValue != Tag.Name.str.rawValue { problems.append("\(path)/\(name): the key is \(key.tag), not a string: quote it") }
                keyProblems(value, at: "\(path)/\(name)", problems: &problems)
            }
        case .sequence(let sequence):
            for (index, item) in sequence.enumerated() { keyProblems(item, at: "\(path)/\(index)", problems: &problems) }
        case .scalar, .alias:
            break
        }
    }

    private static func normalized(_ value: Any, at path: String, problems: inout [String]) -> JSONValue {
        switch value {
        case let mapping as [AnyHashable: Any]:
            var result: [String: JSONValue] = [:]
            for (key, child) in mapping {
                let name = (key.base as? String) ?? "\(key.base)"
                result[name] = normalized(child, at: "\(path)/\(name)", problems: &problems)
            }
            return .object(result)
        case let sequence as [Any]:
            return .array(sequence.enumerated().map { normalized($0.element, at: "\(path)/\($0.offset)", problems: &problems) })
        case let text as String: return .string(text)
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .integer(Int64(number))
        case let number as Int64: return .integer(number)
        case let number as Double: return .number(number)
        case is NSNull: return .null
        default:
            problems.append("\(path): \(value) is a \(type(of: value)), which JSON has no type for")
            return .string("\(value)")
        }
    }

    private var object: [String: JSONValue]? {
        if case .object(let object) = value { return object }
        return nil
    }

    subscript(_ key: String) -> YAMLNode? { object?[key].map(YAMLNode.init) }

    /// A mapping's keys, sorted (Yams does not keep their order).
    var keys: [String] { object?.keys.sorted() ?? [] }
    /// A mapping's entries, by key.
    var entries: [(key: String, value: YAMLNode)] {
        (object ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, YAMLNode($0.value)) }
    }
    /// A sequence's items, in order.
    var items: [YAMLNode] {
        if case .array(let items) = value { return items.map(YAMLNode.init) }
        return []
    }

    var isMapping: Bool { object != nil }
    var string: String? {
        if case .string(let text) = value { return text }
        return nil
    }
    var strings: [String] { items.compactMap(\.string) }
    var bool: Bool? {
        if case .bool(let flag) = value { return flag }
        return nil
    }
    var number: Double? {
        switch value {
        case .integer(let number): Double(number)
        case .number(let number): number
        default: nil
        }
    }
    var isNull: Bool { value == .null }
}

/// Checks a JSON value against a schema of the document: `$ref`, `type`, `enum`, `const`, `pattern`,
/// `properties`, `required`, `additionalProperties`, `items`. A field the schema does not list is an issue (the
/// views must be documented field by field).
enum OpenAPISchemaCheck {
    static func issues(_ value: JSONValue, _ schema: YAMLNode, at path: String = "$") -> [String] {
        if let reference = schema["$ref"] {
            guard let target = reference.string.flatMap(OpenAPITests.resolve) else { return ["\(path): dangling \(reference.value)"] }
            return issues(value, target, at: path)
        }
        let allowed = types(schema)
        if !allowed.isEmpty, !allowed.contains(where: { matches(value, $0) }) {
            return ["\(path): \(value) is not \(allowed.sorted())"]
        }
        var found: [String] = []
        if let list = schema["enum"], !list.items.contains(where: { equal(value, $0) }) {
            found.append("\(path): \(value) is not one of \(list.value)")
        }
        if let constant = schema["const"], !equal(value, constant) {
            found.append("\(path): \(value) is not \(constant.value)")
        }
        if case .string(let text) = value, let pattern = schema["pattern"]?.string, text.range(of: pattern, options: .regularExpression) == nil {
            found.append("\(path): \(text) does not match \(pattern)")
        }
        if case .object(let object) = value {
            let properties = schema["properties"]
            for key in schema["required"]?.strings ?? [] where object[key] == nil {
                found.append("\(path): \(key) is missing")
            }
            for (key, member) in object.sorted(by: { $0.key < $1.key }) {
                if let property = properties?[key] {
                    found += issues(member, property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"], additional.isMapping {
                    found += issues(member, additional, at: "\(path).\(key)")
                } else if schema["additionalProperties"]?.bool != true {
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
    static func types(_ schema: YAMLNode?) -> Set<String> {
        guard let type = schema?["type"] else { return [] }
        return type.string.map { [$0] } ?? Set(type.strings)
    }

    static func matches(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .integer), ("number", .integer), ("number", .number): true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }

    /// A JSON value equals a YAML scalar of the document (an `enum` item, a `const`).
    static func equal(_ value: JSONValue, _ node: YAMLNode) -> Bool {
        switch value {
        case .null: node.isNull
        case .bool(let flag): node.bool == flag
        case .integer(let integer): node.number == Double(integer)
        case .number(let number): node.number == number
        case .string(let text): node.string == text
        case .array, .object: false
        }
    }
}
