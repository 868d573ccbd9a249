import ArgumentParser
import TherapyLedgerStore

/// Runs a replay scenario folder from the command line.
enum ScenarioRunner {
    static func run(directory: String, record: Bool) throws {
        let result = try ReplayScenario.run(directory: directory, record: record)
        if record {
            Output.line("recorded \(result.checks) expected outputs in \(directory) from \(result.events) events: check every number by hand before committing")
            return
        }
        if result.differences.isEmpty {
            Output.line("ok: \(directory): \(result.checks) outputs replayed byte for byte from \(result.events) events")
        } else {
            for d in result.differences { Output.line("DIFFERENCE \(d)") }
            Output.line("FAILED: \(directory): \(result.differences.count) of \(result.checks) outputs differ")
            throw ExitCode(1)
        }
    }
}
