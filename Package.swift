// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "TherapyLedger",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TherapyLedger", targets: ["TherapyLedgerCore", "TherapyLedgerStore", "TherapyLedgerExport", "TherapyLedgerSimulation", "TherapyLedgerPages"]),
        .executable(name: "therapy-ledger", targets: ["TherapyLedgerCLI"]),
        .executable(name: "therapy-ledger-bench", targets: ["TherapyLedgerBench"]),
        .executable(name: "therapy-ledger-server-bench", targets: ["TherapyLedgerServerBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        // Site server (issue 13).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        // Pure domain core: events, validation, canonical bytes, clocks, projections. No I/O.
        .target(
            name: "TherapyLedgerCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // zlib (the system's), for gzip-compressed sync bundles.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // SQLite event store, signing keys, verification.
        .target(
            name: "TherapyLedgerStore",
            dependencies: [
                "TherapyLedgerCore",
                "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // CSV exports of projections, streamed, optionally pseudonymized.
        .target(
            name: "TherapyLedgerExport",
            dependencies: ["TherapyLedgerCore", "TherapyLedgerStore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Seeded generator of plausible ITB histories across sites. The generator itself is pure (submissions and a
        // sync schedule); NetworkRun plays a history against real ledgers.
        .target(
            name: "TherapyLedgerSimulation",
            dependencies: ["TherapyLedgerCore", "TherapyLedgerStore"]
        ),
        // HTML pages and the offline report: rendering from projections (escaping, charts as SVG), no I/O but
        // the one reader of a ledger that gathers what a report shows (ReportSource.swift).
        .target(
            name: "TherapyLedgerPages",
            dependencies: ["TherapyLedgerCore", "TherapyLedgerStore", "TherapyLedgerExport"]
        ),
        // The site server: HTTP over the same library calls the CLI makes; users, access log, network sync.
        .target(
            name: "TherapyLedgerServer",
            dependencies: [
                "TherapyLedgerCore",
                "TherapyLedgerStore",
                "TherapyLedgerExport",
                "TherapyLedgerPages",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "TherapyLedgerServerBench",
            dependencies: [
                "TherapyLedgerCore",
                "TherapyLedgerStore",
                "TherapyLedgerServer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "TherapyLedgerBench",
            dependencies: ["TherapyLedgerCore", "TherapyLedgerStore", "TherapyLedgerExport", "TherapyLedgerSimulation"]
        ),
        .executableTarget(
            name: "TherapyLedgerCLI",
            dependencies: [
                "TherapyLedgerCore",
                "TherapyLedgerStore",
                "TherapyLedgerExport",
                "TherapyLedgerSimulation",
                "TherapyLedgerPages",
                "TherapyLedgerServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "TherapyLedgerTests",
            dependencies: [
                "TherapyLedgerCore", "TherapyLedgerStore", "TherapyLedgerExport", "TherapyLedgerSimulation", "TherapyLedgerPages",
                "TherapyLedgerServer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
