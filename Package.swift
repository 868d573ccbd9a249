// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "TherapyLedger",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "TherapyLedger", targets: ["TherapyLedgerCore", "TherapyLedgerStore", "TherapyLedgerExport", "TherapyLedgerSimulation", "TherapyLedgerPages"]),
        .executable(name: "therapy-ledger", targets: ["TherapyLedgerCLI"]),
        .executable(name: "therapy-ledger-bench", targets: ["TherapyLedgerBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // Pure domain core: events, validation, canonical bytes, clocks, projections. No I/O.
        .target(
            name: "TherapyLedgerCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // SQLite event store, signing keys, verification.
        .target(
            name: "TherapyLedgerStore",
            dependencies: [
                "TherapyLedgerCore",
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
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "TherapyLedgerTests",
            dependencies: ["TherapyLedgerCore", "TherapyLedgerStore", "TherapyLedgerExport", "TherapyLedgerSimulation", "TherapyLedgerPages"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
