// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "declutterd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "declutterd", targets: ["declutterd"]),
        .library(name: "DeclutterAPI", targets: ["DeclutterAPI"]),
        .library(name: "DeclutterWire", targets: ["DeclutterWire"]),
        .library(name: "LocalClient", targets: ["LocalClient"]),
        .library(name: "DeclutterStore", targets: ["DeclutterStore"]),
        .library(name: "DeclutterSandbox", targets: ["DeclutterSandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        .target(
            name: "DeclutterAPI",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // What the daemon and its client both speak: the local API's JSON views, the states, the time formats.
        .target(name: "DeclutterWire"),
        // The POSIX file operations the archive and the client's downloads share, and CRC-32 (ZIP's and PNG's).
        .target(name: "DeclutterFiles"),
        // The local API's client (the CLI's half of the wire): it does not link the daemon or the store.
        .target(
            name: "LocalClient",
            dependencies: [
                "DeclutterAPI",
                "DeclutterFiles",
                "DeclutterWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "DeclutterStore",
            dependencies: [
                "DeclutterAPI",
                "DeclutterWire",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "DeclutterSandbox",
            dependencies: [
                "DeclutterAPI",
                "DeclutterFiles",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "DeclutterDaemon",
            dependencies: [
                "DeclutterAPI",
                "DeclutterFiles",
                "DeclutterStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            ],
            resources: [
                .embedInCode("Resources/openapi.yaml"),
                // The dashboard's pages, stylesheet and script, as the files they are.
                .embedInCode("Dashboard/Resources/layout.mustache"), .embedInCode("Dashboard/Resources/overview.mustache"),
                .embedInCode("Dashboard/Resources/generations.mustache"), .embedInCode("Dashboard/Resources/generation.mustache"),
                .embedInCode("Dashboard/Resources/endpoints.mustache"), .embedInCode("Dashboard/Resources/chart.mustache"),
                .embedInCode("Dashboard/Resources/listings.mustache"), .embedInCode("Dashboard/Resources/listing.mustache"),
                .embedInCode("Dashboard/Resources/keys.mustache"),
                .embedInCode("Dashboard/Resources/app.css"), .embedInCode("Dashboard/Resources/app.js"),
            ]
        ),
        .executableTarget(
            name: "declutterd",
            dependencies: [
                "DeclutterAPI",
                "DeclutterStore",
                "DeclutterSandbox",
                "DeclutterDaemon",
                "DeclutterWire",
                "LocalClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // What every test target shares: eventually, the process runner, free ports, temporary files and
        // databases, the manual clock.
        .target(
            name: "TestSupport",
            dependencies: [
                "DeclutterStore", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "DeclutterAPITests", dependencies: ["DeclutterAPI", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "DeclutterStoreTests",
            dependencies: ["DeclutterAPI", "DeclutterStore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "DeclutterDaemonTests",
            dependencies: [
                "DeclutterAPI", "DeclutterFiles", "DeclutterStore", "DeclutterSandbox", "DeclutterDaemon", "DeclutterWire", "LocalClient",
                "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "DeclutterSandboxTests",
            dependencies: [
                "DeclutterAPI", "DeclutterSandbox", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ]
)
