import DeclutterStore
import Foundation
import Hummingbird

/// The operators' dashboard (docs/dashboard.md): server-rendered pages on the local router only, behind the same
/// `LocalRequestGuard` as the API. Pages only read; every action is a button whose script POSTs JSON to the local API.
struct DashboardController: Sendable {
    let database: any Store
    let poller: Poller
    let now: @Sendable () -> Date

    /// How many of the latest delivery attempts the endpoints page counts.
    static let attemptWindow = 1000
    /// Events shown on one generation's timeline (the oldest first), and the raw body bytes past the first.
    static let timelineEvents = 200
    static let timelineBodyBytes = 1 << 20

    var endpoints: RouteCollection<LocalContext> {
        let routes = RouteCollection(context: LocalContext.self)
        routes.get("/", use: overview)
        routes.get("/generations", use: generations)
        routes.get("/generations/{id}", use: generation)
        routes.get("/listings", use: listingsPage)
        routes.get("/listings/{reference}", use: listingPage)
        routes.get("/endpoints", use: endpointsPage)
        routes.get("/keys", use: keysPage)
        routes.get("/dashboard/app.css") { _, _ in DashboardResponse.asset(DashboardAssets.css, contentType: "text/css; charset=utf-8") }
        routes.get("/dashboard/app.js") { _, _ in
            DashboardResponse.asset(DashboardAssets.javascript, contentType: "application/javascript; charset=utf-8")
        }
        return routes
    }

    private func overview(_ request: Request, _ context: LocalContext) async throws -> Response {
        let date = now()
        let page = OverviewPage(
            stats: try await database.stats(), pollsInFlight: poller.pollsInFlight, deliveries: try await database.deliveryStats(),
            failedDeliveries: try await database.failedDeliveryCount(), archive: try await database.archiveCounts(),
            hourly: try await database.hourlyOutcomes(since: HourlyChart.start(now: date)), now: date)
        return DashboardResponse.html(DashboardTemplates.render(page, template: "overview"))
    }

    private func generations(_ request: Request, _ context: LocalContext) async throws -> Response {
        let form = GenerationListForm(request.uri.queryParameters)
        let rows = try await database.generations(matching: form.filter)
        let shown = Array(rows.prefix(GenerationListForm.pageSize))
        let next = rows.count > GenerationListForm.pageSize ? shown.last?.id.map(String.init) : nil
        let page = GenerationListPage(form, generations: shown.map { GenerationView($0) }, nextCursor: next)
        return DashboardResponse.html(DashboardTemplates.render(page, template: "generations"), status: form.problems.isEmpty ? .ok : .badRequest)
    }

    private func generation(_ request: Request, _ context: LocalContext) async throws -> Response {
        let locator = try LocalAPIController.locator(context.parameters.get("id") ?? "", field: .id)
        guard let record = try await database.generation(locator), let row = record.id else { throw LocalAPIController.notFound }
        let view = GenerationView(record, files: try await database.files(ofRow: row))
        let events = try await database.eventPage(forRow: row, after: nil, limit: Self.timelineEvents, bodyBytes: Self.timelineBodyBytes).events
        let deliveries = try await database.deliveries(matching: DeliveryFilter(generation: row))
        var project: [GenerationView] = []
        if let projectID = record.projectID, let (_, members) = try await database.projectWithGenerations(projectID) {
            project = members.map { GenerationView($0) }
        }
        let page = GenerationDetailPage(view, events: events.map(EventView.init), deliveries: deliveries.map(DeliveryView.init), project: project)
        return DashboardResponse.html(DashboardTemplates.render(page, template: "generation"))
    }

    private func listingsPage(_ request: Request, _ context: LocalContext) async throws -> Response {
        var filter = ListingFilter(limit: ListingListPage.pageSize + 1)
        // The API's cursor rule: a cursor that is not one is refused (400 invalid_cursor), never read as none.
        filter.beforeID = try LocalAPIController.Page(request.uri.queryParameters, defaultLimit: ListingListPage.pageSize).after
        let rows = try await database.listings(matching: filter)
        let shown = Array(rows.prefix(ListingListPage.pageSize))
        let next = rows.count > ListingListPage.pageSize ? shown.last?.listing.id.map(String.init) : nil
        let page = ListingListPage(shown.map { ListingView($0.listing, counts: $0.counts) }, nextCursor: next)
        return DashboardResponse.html(DashboardTemplates.render(page, template: "listings"))
    }

    private func listingPage(_ request: Request, _ context: LocalContext) async throws -> Response {
        let reference = try ListingController.reference(context)
        guard let detail = try await database.listing(reference: reference) else { throw ListingController.notFound(reference) }
        return DashboardResponse.html(DashboardTemplates.render(ListingPage(ListingView(detail)), template: "listing"))
    }

    private func keysPage(_ request: Request, _ context: LocalContext) async throws -> Response {
        DashboardResponse.html(DashboardTemplates.render(KeysPage(try await database.keys(at: now()).map(KeyView.init)), template: "keys"))
    }

    private func endpointsPage(_ request: Request, _ context: LocalContext) async throws -> Response {
        let date = now()
        let endpoints = try await database.endpoints().map { EndpointView($0, now: date) }
        let page = EndpointsPage(endpoints, attempts: try await database.recentAttemptCounts(window: Self.attemptWindow),
                                 attemptWindow: Self.attemptWindow, now: date)
        return DashboardResponse.html(DashboardTemplates.render(page, template: "endpoints"))
    }
}
