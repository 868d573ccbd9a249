import ArgumentParser
import TherapyLedgerStore

/// Runs a replay scenario folder from the command line.
enum ScenarioRunner {
    static func run(directory: String, record: Bool) throws {
        let result = try ReplayScenario.run(directory: directory, record: record)
        if record {
            Output.line("recorded \(Plural.count(result.checks, "expected output")) in \(directory) from \(Plural.count(result.events, "event")): check every number by hand before committing")
            return
        }
        if result.differences.isEmpty {
            Output.line("ok: \(directory): \(Plural.count(result.checks, "output")) replayed byte for byte from \(Plural.count(result.events, "event"))")
        } else {
            for d in result.differences { Output.line("DIFFERENCE \(d)") }
            Output.line("FAILED: \(directory): \(result.differences.count) of \(Plural.count(result.checks, "output")) differ")
            throw ExitStatus.integrityFailure
        }
    }
}
