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
    @Option(help: ArgumentHelp("First day of the simulated period (default: --years before today, so that it ends today; give one for the same events on every day).", valueName: "YYYY-MM-DD")) var start: String?
    @Option(help: ArgumentHelp("The folder to write the ledgers to (created; must not hold ledgers already).", valueName: "DIR")) var out: String

    func validate() throws {
        if let start, Timestamp.parseDate(start) == nil { throw ValidationError("--start \(start): expected a date YYYY-MM-DD") }
        do { try SimulationParameters(patients: patients, sites: sites, years: years, seed: seed).validate() } catch {
            throw ValidationError("--\(error.description)")
        }
    }

    /// The default first day: `years` before today (UTC), in whole days, so that the period ends today.
    static func defaultStart(years: Double, today: Timestamp) -> Timestamp {
        today.startOfDay.adding(days: -(years * 365.25).rounded(.down))
    }

    func run() throws {
        var parameters = SimulationParameters(patients: patients, sites: sites, years: years, seed: seed)
        if let start, let t = Timestamp.parseDate(start) {
            parameters.start = t
        } else {
            parameters.start = Self.defaultStart(years: years, today: Timestamp(seconds: Int64(Date().timeIntervalSince1970)))
        }
        let began = Date()
        let run = try NetworkRun.play(parameters, in: out, keepBundles: false)
        let seconds = Date().timeIntervalSince(began)
        let r = run.report
        Output.line("generated \(Plural.count(r.eventsAppended, "event")) for \(Plural.count(patients, "patient")) at \(Plural.count(sites, "site")) over \(years) year\(years == 1 ? "" : "s") (seed \(seed), \(parameters.start.dateString) to \(parameters.end.dateString))")
        for site in parameters.siteNames {
            let store = run.stores[site]
            Output.line("  \(site): \(Plural.count(r.eventsBySite[site] ?? 0, "event")) recorded here, \(try store?.eventCount() ?? 0) held after sync  \(store?.path ?? "")")
        }
        Output.line("  \(Plural.count(r.batches, "batch", plural: "batches")) appended, \(Plural.count(r.bundles, "bundle")) exchanged (\(Plural.count(r.bundleEvents, "event")), \(Plural.count(r.bundleBytes, "byte"))), \(Plural.count(r.conflictsSeen, "conflict")) seen at import")
        Output.line("  \(Plural.count(run.summary.moves, "patient")) moved site, \(Plural.count(run.summary.concurrentProgrammings, "concurrent programming"))")
        Output.line(String(format: "  took %.1f s (append %.1f s, sync %.1f s)", seconds, r.appendSeconds, r.syncSeconds))
    }
}
