import DeclutterStore
import Mustache

/// The dashboard's Mustache templates (`Resources/*.mustache`, compiled into the binary), parsed once. Each page
/// template extends `layout` (Mustache inheritance), so the landmarks, the navigation and the script tag are written
/// once; the overview draws its chart with the partial `chart`.
///
/// Data is only ever written with `{{ }}`, which HTML-escapes it (`<`, `>`, `&`, `"`, `'`); `{{{ }}}` is never used.
enum DashboardTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let templates = [
            "layout": PackageResources.layout_mustache, "overview": PackageResources.overview_mustache,
            "generations": PackageResources.generations_mustache, "generation": PackageResources.generation_mustache,
            "endpoints": PackageResources.endpoints_mustache, "keys": PackageResources.keys_mustache, "chart": PackageResources.chart_mustache,
            "listings": PackageResources.listings_mustache, "listing": PackageResources.listing_mustache,
        ]
        for (name, bytes) in templates {
            // The templates are files of this repository: a parse error is a programming error the tests catch.
            try! library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        return library
    }()

    /// Renders `page` with the template `name`.
    static func render(_ page: Any, template name: String) -> String {
        library.render(page, withTemplate: name) ?? ""
    }
}

/// The dashboard's stylesheet and script (`Resources/app.css`, `Resources/app.js`), served as they are.
enum DashboardAssets {
    static let css = String(decoding: PackageResources.app_css, as: UTF8.self)
    static let javascript = String(decoding: PackageResources.app_js, as: UTF8.self)
}

/// What the layout reads from every page: which page it is, for app.js (`data-page`) and the navigation's
/// `aria-current`, and the message types app.js follows on the event stream (`data-event-types`: the server's list,
/// not one of the script's own). Stored, not computed: Mustache reads values through `Mirror`, which sees stored
/// properties only.
struct PageFrame: Sendable {
    /// Every message about a generation, space-separated; a listing's page follows its completion too.
    static let generationEventTypes = MessageType.allCases.filter { $0.rawValue.hasPrefix("generation.") }.map(\.rawValue).joined(separator: " ")
    static let listingEventTypes = generationEventTypes + " " + MessageType.listingCompleted.rawValue

    let page: String
    let eventTypes: String
    let isOverview: Bool
    let isGenerations: Bool
    let isListings: Bool
    let isEndpoints: Bool
    let isKeys: Bool

    init(_ page: String) {
        self.page = page
        eventTypes = page == "listing" ? Self.listingEventTypes : Self.generationEventTypes
        isOverview = page == "overview"
        isGenerations = page == "generations" || page == "generation"
        isListings = page == "listings" || page == "listing"
        isEndpoints = page == "endpoints"
        isKeys = page == "keys"
    }
}
