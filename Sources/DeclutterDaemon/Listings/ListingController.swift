import DeclutterStore
import Foundation
import Hummingbird
import Logging

/// The local API's listing routes (docs/listings.md): record a listing (URLs as JSON, or every file in one form),
/// read it and the list, retry its failed photos, and take its results as one zip. The launches themselves are the
/// `ListingLauncher`'s, which follows the store.
struct ListingController: Sendable {
    let database: any Store
    let uploads: UploadReader
    let archive: ArchiveDirectory
    let publicBaseURL: @Sendable () -> String?
    let logger: Logger
    let now: @Sendable () -> Date

    var copies: ArchiveCopies { ArchiveCopies(store: database, directory: archive) }

    /// The largest JSON listing: 100 photos with long URLs.
    static let maximumJSONBytes = 1024 * 1024

    var endpoints: RouteCollection<LocalContext> {
        let routes = RouteCollection(context: LocalContext.self)
        routes.post("/v1/listings", use: create)
        routes.get("/v1/listings", use: list)
        routes.get("/v1/listings/{reference}", use: show)
        routes.post("/v1/listings/{reference}/retry", use: retry)
        routes.get("/v1/listings/{reference}/results.zip", use: results)
        return routes
    }

    /// 202 with the listing, its photos queued for launch; 200 with the listing already recorded under the reference
    /// when the photos are the same (`Idempotent-Replayed: true`), nothing new recorded or kept.
    private func create(_ request: Request, _ context: LocalContext) async throws -> Response {
        switch request.headers[.contentType].flatMap(UploadMediaType.init(contentType:)) {
        case .form(let boundary)?:
            let form = try await uploads.readListing(request, boundary: boundary)
            var listing = try form.request()
            listing.keyName = context.identity?.keyName
            if let replay = try await replay(of: listing) { return replay }
            let kept = try await form.keep(listing, copies: copies, at: now())
            do {
                return try await record(kept)
            } catch {
                await dropUnreferenced(kept)
                throw error
            }
        case .rawImage?:
            throw APIError(.unsupportedMediaType, code: .unsupportedMediaType,
                           message: "a listing comes as JSON (photos by URL) or as multipart/form-data (photos as files)")
        case nil:
            var listing = try ListingInput.request(try await JSONBody.read(request, maximumSize: Self.maximumJSONBytes))
            listing.keyName = context.identity?.keyName
            if let replay = try await replay(of: listing) { return replay }
            return try await record(listing)
        }
    }

    /// The answer to a listing whose reference is known already, or nil for a new one: checked before any file is kept.
    /// A new one is also checked against the photos left here, so a refused upload keeps nothing; the store checks
    /// again where it records it.
    private func replay(of listing: ListingRequest) async throws -> Response? {
        if let existing = try await database.listing(reference: listing.reference) {
            guard existing.listing.photosDigest == listing.photosDigest else { throw Self.referenceReused(listing.reference) }
            return try Self.answer(.ok, ListingView(existing), replayed: true)
        }
        guard publicBaseURL() != nil else {
            throw APIError(.serviceUnavailable, code: .noPublicBaseURL, message: "callbacks.public_base_url is not configured: the service would have no callback URL")
        }
        do {
            try await database.photoBudget().check(needed: listing.photos.count, allowPartial: listing.allowPartial)
            try await database.refuseSpentBudget(ofKey: listing.keyName, needed: listing.photos.count, at: now())
        } catch {
            throw refusal(error)
        }
        return nil
    }

    private func record(_ listing: ListingRequest) async throws -> Response {
        let start: ListingStart
        do {
            start = try await database.createListing(listing, at: now())
        } catch {
            throw refusal(error)
        }
        switch start {
        case .created(let record):
            return try Self.answer(.accepted, try await view(record.reference), replayed: false)
        case .existing(let record):
            return try Self.answer(.ok, try await view(record.reference), replayed: true)
        }
    }

    /// The files of a listing the store did not record (refused, or the store failed): each goes unless something
    /// else refers to it, so a refused request keeps no file.
    private func dropUnreferenced(_ listing: ListingRequest) async {
        for file in listing.photos.flatMap(\.files) where (try? await database.isFileKept(sha256: file.file.sha256)) == false {
            try? archive.remove(sha256: file.file.sha256)
        }
    }

    private func show(_ request: Request, _ context: LocalContext) async throws -> Response {
        try LocalAPIController.json(.ok, try await view(try Self.reference(context)))
    }

    private func list(_ request: Request, _ context: LocalContext) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = ListingFilter()
        if let text = query["state"].map(String.init) {
            guard let state = ListingState(rawValue: text) else {
                throw APIError.invalidField(.state, "must be one of \(ListingState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.state = state
        }
        if let since = query["since"].map(String.init) {
            guard let date = RFC3339.date(since) else { throw APIError.invalidField(.since, "must be an RFC 3339 time such as 2026-11-24T10:00:00Z") }
            filter.since = date
        }
        let page = try LocalAPIController.Page(query, defaultLimit: filter.limit)
        filter.beforeID = page.after
        filter.limit = page.limit + 1
        let rows = try await database.listings(matching: filter)
        let shown = Array(rows.prefix(page.limit))
        let next = rows.count > page.limit ? shown.last?.listing.id.map(String.init) : nil
        return try LocalAPIController.json(.ok, ListingListView(listings: shown.map { ListingView($0.listing, counts: $0.counts) }, nextCursor: next))
    }

    /// 202 with the listing when photos were queued again; 200 when none had ended without a result.
    private func retry(_ request: Request, _ context: LocalContext) async throws -> Response {
        let reference = try Self.reference(context)
        let retried: ListingRetry?
        do {
            retried = try await database.retryListing(reference: reference, at: now())
        } catch {
            throw refusal(error)
        }
        guard let retried else { throw Self.notFound(reference) }
        return try LocalAPIController.json(retried.queued > 0 ? .accepted : .ok, try await view(reference))
    }

    /// Every archived result, named after its photo, and `manifest.json`: streamed a file at a time.
    private func results(_ request: Request, _ context: LocalContext) async throws -> Response {
        let reference = try Self.reference(context)
        guard let detail = try await database.listing(reference: reference) else { throw Self.notFound(reference) }
        let contents = try await ResultsArchive.contents(of: detail, copies: copies)
        try ResultsArchive.checkSize(contents)
        return ResultsArchive.response(contents, directory: archive, reference: reference, at: now(), logger: context.logger)
    }

    private func view(_ reference: String) async throws -> ListingView {
        guard let detail = try await database.listing(reference: reference) else { throw Self.notFound(reference) }
        return ListingView(detail)
    }

    /// `{reference}`, percent-decoded (the router hands the path's text as it came: a client writes `:` as `%3A`).
    static func reference(_ context: LocalContext) throws -> String {
        try ListingInput.reference(context.parameters.get("reference").map { $0.removingPercentEncoding ?? $0 })
    }

    private static func answer(_ status: HTTPResponse.Status, _ view: ListingView, replayed: Bool) throws -> Response {
        var response = try LocalAPIController.json(status, view)
        if replayed { response.headers[.init("Idempotent-Replayed")!] = "true" }
        return response
    }

    static func notFound(_ reference: String) -> APIError {
        APIError(.notFound, code: .notFound, message: "no listing \(reference)")
    }

    static func referenceReused(_ reference: String) -> APIError {
        APIError(.conflict, code: .listingReferenceReused, message: "listing \(reference) was first recorded with different photos")
    }

    /// The store's refusals as the API answers them; any other failure of the store is 503, and logged.
    func refusal(_ error: any Error) -> APIError {
        switch error as? StoreError {
        case .listingReferenceReused(let reference)?:
            return Self.referenceReused(reference)
        case .notEnoughPhotos(let needed, let left)?:
            return APIError(.conflict, code: .notEnoughPhotos,
                            message: "the listing needs \(needed) photos and \(left) are left (the last remaining_photos, less the submissions "
                                + "in flight and the photos queued): nothing was launched. With allow_partial every photo is launched, and "
                                + "the service refuses those past its quota (REJECTED, nothing spent)",
                            figures: ["needed": needed, "left": left])
        case let .budgetExhausted(key, budget, used, resetsAt)?:
            return APIError.budgetExhausted(key: key, budget: budget, used: used, resetsAt: resetsAt, now: now())
        default:
            logger.error("a listing's write failed", metadata: ["error": "\(error)"])
            return APIError(.serviceUnavailable, code: .storeUnavailable, message: "the store could not record the listing; the daemon's log says why")
        }
    }
}
