// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "TherapyLedger",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "TherapyLedger", targets: ["TherapyLedgerCore", "TherapyLedgerStore"]),
        .executable(name: "therapy-ledger", targets: ["TherapyLedgerCLI"]),
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
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "TherapyLedgerCLI",
            dependencies: [
                "TherapyLedgerCore",
                "TherapyLedgerStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "TherapyLedgerTests",
            dependencies: ["TherapyLedgerCore", "TherapyLedgerStore"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
