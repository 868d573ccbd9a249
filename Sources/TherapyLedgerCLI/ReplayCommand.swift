import ArgumentParser
import Foundation
import TherapyLedgerStore

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild every stored projection from the events; or, with DIR, run a replay scenario and report any difference.")

    @OptionGroup var options: LedgerOptions
    @Argument(help: "A replay scenario folder (see replay/README.md).") var scenario: String?
    @Flag(help: "With DIR: write the actual outputs as the expected files (then check them by hand).") var record = false

    func run() throws {
        if let scenario {
            try ScenarioRunner.run(directory: scenario, record: record)
            return
        }
        let store = try options.open()
        let report = try store.replay()
        Output.line("replayed \(Plural.count(report.events, "event")) of \(Plural.count(report.patients, "patient")) in \(String(format: "%.3f", report.seconds)) s (\(Int(report.eventsPerSecond)) events/s)")
    }
}
