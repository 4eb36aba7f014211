import Mustache

/// The dashboard's Mustache templates, parsed once. Each page template extends `layout` (Mustache inheritance), so
/// the landmarks, the navigation and the script tag are written once.
///
/// Data is only ever written with `{{ }}`, which HTML-escapes it (`<`, `>`, `&`, `"`, `'`); `{{{ }}}` is never used.
enum DashboardTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let templates = [
            "layout": layout, "overview": OverviewPage.template, "generations": GenerationListPage.template,
            "generation": GenerationDetailPage.template, "endpoints": EndpointsPage.template,
        ]
        for (name, text) in templates {
            // The templates are constants of this file set: a parse error is a programming error the tests catch.
            try! library.register(text, named: name)
        }
        return library
    }()

    /// Renders `page` with the template `name`.
    static func render(_ page: Any, template name: String) -> String {
        library.render(page, withTemplate: name) ?? ""
    }

    /// Every page: its title, the header with the main navigation, `<main id="main">`, and app.js (no inline script,
    /// no inline style: the CSP forbids both).
    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{$title}}declutterd{{/title}} · declutterd</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/dashboard/app.css">
        <script src="/dashboard/app.js" defer></script>
        </head>
        {{#frame}}<body data-page="{{page}}">
        <header>
        <a class="brand" href="/">declutterd</a>
        <nav aria-label="Main">
        <ul>
        <li><a href="/"{{#isOverview}} aria-current="page"{{/isOverview}}>Overview</a></li>
        <li><a href="/generations"{{#isGenerations}} aria-current="page"{{/isGenerations}}>Generations</a></li>
        <li><a href="/endpoints"{{#isEndpoints}} aria-current="page"{{/isEndpoints}}>Endpoints</a></li>
        </ul>
        </nav>
        </header>{{/frame}}
        <main id="main">
        <div id="notice" role="status" aria-live="polite"></div>
        {{$main}}{{/main}}
        </main>
        </body>
        </html>

        """
}

/// What the layout reads from every page: which page it is, for app.js (`data-page`) and the navigation's
/// `aria-current`. Stored, not computed: Mustache reads values through `Mirror`, which sees stored properties only.
struct PageFrame: Sendable {
    let page: String
    let isOverview: Bool
    let isGenerations: Bool
    let isEndpoints: Bool

    init(_ page: String) {
        self.page = page
        isOverview = page == "overview"
        isGenerations = page == "generations" || page == "generation"
        isEndpoints = page == "endpoints"
    }
}
