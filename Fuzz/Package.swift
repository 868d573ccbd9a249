// swift-tools-version: 6.0
// libFuzzer targets for the parsers of untrusted input. A separate package, so that the main build and CI never
// build it: run `scripts/fuzz.sh` (Linux; the toolchain's clang runtime provides libFuzzer).
import PackageDescription

let package = Package(
    name: "TherapyLedgerFuzz",
    dependencies: [.package(name: "TherapyLedger", path: "..")],
    targets: [
        // SwiftPM links an ELF executable with `main` aliased to `MODULE_main`, which -parse-as-library never emits:
        // this C target defines them, each handing over to libFuzzer's driver.
        .target(name: "FuzzDriver"),
        .executableTarget(name: "FuzzSubmission", dependencies: ["FuzzDriver", .product(name: "TherapyLedger", package: "TherapyLedger")]),
        .executableTarget(name: "FuzzBundle", dependencies: ["FuzzDriver", .product(name: "TherapyLedger", package: "TherapyLedger")]),
        .executableTarget(name: "FuzzHeads", dependencies: ["FuzzDriver", .product(name: "TherapyLedger", package: "TherapyLedger")]),
    ],
    swiftLanguageModes: [.v6]
)
