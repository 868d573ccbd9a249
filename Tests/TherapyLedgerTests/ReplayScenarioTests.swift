import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// The replay scenario folders under `replay/` (those holding a scenario.json), by name.
let replayScenarioNames: [String] = {
    let root = rootPath("replay")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    return names.filter { FileManager.default.fileExists(atPath: root + "/" + $0 + "/scenario.json") }.sorted()
}()

/// Every file under `replay/*/expected/` whose name starts with `prefix`.
func replayExpectedFiles(prefix: String) -> [String] {
    replayScenarioNames.flatMap { name -> [String] in
        let dir = rootPath("replay/\(name)/expected")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return files.filter { $0.hasPrefix(prefix) }.sorted().map { dir + "/" + $0 }
    }
}

/// Replays every scenario byte for byte and checks the expected outputs against the JSON Schemas.
@Suite struct ReplayScenarioTests {
    @Test func thereAreAtLeastEightScenarios() {
        #expect(replayScenarioNames.count >= 8, "scenarios found: \(replayScenarioNames)")
    }

    @Test(arguments: replayScenarioNames)
    func scenarioReplaysByteForByte(_ name: String) throws {
        let result = try ReplayScenario.run(directory: rootPath("replay/" + name))
        #expect(result.checks >= 2, "\(name) checks too little: \(result.checks) outputs")
        #expect(result.events > 0)
        let report = result.differences.map(\.description).joined(separator: "\n")
        #expect(result.differences.isEmpty, "\(name): \(result.differences.count) of \(result.checks) outputs differ:\n\(report)")
        #expect(FileManager.default.fileExists(atPath: rootPath("replay/\(name)/README.md")), "\(name) has no README with its arithmetic")
    }

    @Test func aChangedExpectedFileIsReported() throws {
        // A changed expected number must be reported as a difference (the runner is not vacuous).
        guard let name = replayScenarioNames.first else { throw TestFailure("no replay scenario") }
        let dir = TempDir()
        let copy = dir.file(name)
        try FileManager.default.copyItem(atPath: rootPath("replay/" + name), toPath: copy)
        let files = try FileManager.default.contentsOfDirectory(atPath: copy + "/expected").filter { $0.hasPrefix("status-") }.sorted()
        guard let first = files.first else { throw TestFailure("\(name) has no expected status file") }
        let path = copy + "/expected/" + first
        guard let data = FileManager.default.contents(atPath: path) else { throw TestFailure("cannot read \(path)") }
        let tampered = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"therapy\":\"", with: "\"therapy\":\"x")
        try #require(FileManager.default.createFile(atPath: path, contents: Data(tampered.utf8)))
        let result = try ReplayScenario.run(directory: copy)
        #expect(result.differences.map(\.file) == ["expected/" + first])
    }

    @Test func expectedStatusFilesMatchTheSchema() throws {
        let files = replayExpectedFiles(prefix: "status-")
        #expect(files.count >= 16)
        let r = try validateSchemas(["status.schema.json"] + files)
        #expect(r.status == 0, "\(r)")
    }

    @Test func expectedTimelinesMatchTheSchema() throws {
        let files = replayExpectedFiles(prefix: "timeline-")
        #expect(files.count >= 8)
        let r = try validateSchemas(["timeline-entry.schema.json"] + files)
        #expect(r.status == 0, "\(r)")
    }
}
