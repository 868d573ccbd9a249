import Foundation
import Testing
@testable import TherapyLedgerCore

/// Today's UTC date, YYYY-MM-DD.
private func todayUTC() -> Timestamp { Timestamp(seconds: Int64(Date().timeIntervalSince1970)).startOfDay }

@Suite struct DemoTests {
    @Test func theDemosSuggestedCommandsWorkAsPrintedAndWriteIntoItsFolder() throws {
        // Given a small demo (on the memory file system when there is one: the demo and generate fsync many bundles)
        let dir = TempDir(inMemory: true)
        let demo = dir.file("demo")
        let r = try cli(["demo", "--dir", demo, "--patients", "12", "--sites", "2"])
        try #require(r.status == 0, "\(r)")
        // It says what it makes: a year up to today, with back-dated implants of patients already on therapy.
        #expect(r.stdout.contains("to \(todayUTC().dateString))"), "\(r.stdout)")
        #expect(r.stdout.contains("already have a pump when the year starts (implanted up to 7 years earlier, back-dated)"), "\(r.stdout)")
        #expect(!r.stdout.contains("Generating a year"), "\(r.stdout)")
        // When its suggested commands run in the order printed, from another folder
        let lines = r.stdout.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.hasSuffix("Try next:") }, "\(r.stdout)")
        let commands = lines[(start + 1)...].map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(commands.count >= 8, "\(commands)")
        #expect(commands.firstIndex { $0.hasPrefix("head -c 32") }.map { k in commands[..<k].allSatisfy { !$0.contains("--pseudonymize") } } ?? false,
                "the export key must be made before the export that uses it: \(commands)")
        let elsewhere = dir.file("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        for command in commands {
            let shell = command.replacingOccurrences(of: "swift run therapy-ledger", with: cliPath)
            let result = try run("/bin/sh", ["-c", shell], cwd: elsewhere)
            // Then each works
            #expect(result.status == 0, "`\(command)` failed: \(result)")
        }
        // And everything they wrote is in the demo folder, nothing in the current one
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
        for written in ["heads.json", "export.key", "exports/timeline-pseudonymized.csv", "network"] {
            #expect(FileManager.default.fileExists(atPath: demo + "/" + written), "\(written) is not in the demo folder")
        }
        // And `demo --force` replaces all of it
        let again = try cli(["demo", "--dir", demo, "--patients", "5", "--sites", "2", "--force"])
        #expect(again.status == 0, "\(again)")
        #expect(!FileManager.default.fileExists(atPath: demo + "/network"))
    }

    @Test func generateDefaultsToTheYearsBeforeToday() throws {
        let dir = TempDir(inMemory: true)
        let r = try cli(["generate", "--patients", "3", "--sites", "1", "--years", "2", "--out", dir.file("net")])
        #expect(r.status == 0, "\(r)")
        // The period ends today and starts on a day boundary two years before.
        let first = r.stdout.components(separatedBy: "\n")[0]
        let today = todayUTC()
        let start = today.adding(days: -730)
        #expect(first.contains("(seed 1, \(start.dateString) to \(today.dateString))"), "\(first)")
        // An explicit start keeps the same events on every day.
        let fixed = try cli(["generate", "--patients", "3", "--sites", "1", "--start", "2024-01-01", "--out", dir.file("fixed")])
        #expect(fixed.stdout.contains("(seed 1, 2024-01-01 to 2024-12-31)"), "\(fixed)")
    }
}
