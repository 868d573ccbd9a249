// swift-tools-version: 6.0
// libFuzzer targets for the parsers of untrusted input. A separate package, so that the main build and CI never
// build it: run `scripts/fuzz.sh` (Linux; the toolchain's clang runtime provides libFuzzer).
import PackageDescription

let package = Package(
    name: "TherapyLedgerFuzz",
    dependencies: [.package(name: "TherapyLedger", path: "..")],
    targets: [
        .executableTarget(name: "FuzzSubmission", dependencies: [.product(name: "TherapyLedger", package: "TherapyLedger")]),
        .executableTarget(name: "FuzzBundle", dependencies: [.product(name: "TherapyLedger", package: "TherapyLedger")]),
        .executableTarget(name: "FuzzHeads", dependencies: [.product(name: "TherapyLedger", package: "TherapyLedger")]),
    ],
    swiftLanguageModes: [.v6]
)
