import ArgumentParser
import Foundation
import TherapyLedgerCore
import TherapyLedgerSimulation
import TherapyLedgerStore

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a synthetic clinic network: one ledger per site, synced by bundles on irregular schedules.",
        discussion: """
            Simulates plausible ITB therapy (enrolment, screening, implant, titration, refills with measurement noise, \
            adverse events, corrections, pump replacements, explants, patients moving between sites) and records it \
            in DIR/SITE.sqlite with each site's key beside it. The same options give the same events, byte for byte.
            """)

    @Option(help: "Number of patients.") var patients = 200
    @Option(help: "Number of sites (1-26).") var sites = 3
    @Option(help: "Years of therapy to simulate.") var years = 1.0
    @Option(help: "Seed of the generator.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("First day of the simulated period (default 2024-01-01).", valueName: "YYYY-MM-DD")) var start: String?
    @Option(help: ArgumentHelp("The folder to write the ledgers to (created; must not hold ledgers already).", valueName: "DIR")) var out: String

    func run() throws {
        var parameters = SimulationParameters(patients: patients, sites: sites, years: years, seed: seed)
        if let start {
            guard let t = Timestamp.parseDate(start) else { throw CLIError("--start \(start): expected a date YYYY-MM-DD") }
            parameters.start = t
        }
        do { try parameters.validate() } catch { throw CLIError(error.description) }
        let began = Date()
        let run = try NetworkRun.play(parameters, in: out, keepBundles: false)
        let seconds = Date().timeIntervalSince(began)
        let r = run.report
        Output.line("generated \(r.eventsAppended) events for \(patients) patients at \(sites) site\(sites == 1 ? "" : "s") over \(years) year\(years == 1 ? "" : "s") (seed \(seed), \(parameters.start.dateString) to \(parameters.end.dateString))")
        for site in parameters.siteNames {
            let store = run.stores[site]
            Output.line("  \(site): \(r.eventsBySite[site] ?? 0) events recorded here, \(try store?.eventCount() ?? 0) held after sync  \(store?.path ?? "")")
        }
        Output.line("  \(r.batches) batches appended, \(r.bundles) bundles exchanged (\(r.bundleEvents) events, \(r.bundleBytes) bytes), \(r.conflictsSeen) conflicts seen at import")
        Output.line("  \(run.summary.moves) patients moved site, \(run.summary.concurrentProgrammings) concurrent programmings")
        Output.line(String(format: "  took %.1f s (append %.1f s, sync %.1f s)", seconds, r.appendSeconds, r.syncSeconds))
    }
}
