import ArgumentParser
import Foundation
import TherapyLedgerCore
import TherapyLedgerExport
import TherapyLedgerSimulation
import TherapyLedgerStore

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a small clinic network from scratch and walk through what the ledger does (start here).",
        discussion: """
            Creates site ledgers under DIR, generates a year of therapy up to today, syncs the sites by bundle files, \
            shows that they converged, prints the status of a patient with alerts, replays and verifies, and writes \
            the CSV exports. Everything it writes stays in DIR.
            """)

    @Option(help: ArgumentHelp("The folder to create the demo in.", valueName: "DIR")) var dir = "therapy-ledger-demo"
    @Option(help: "Seed of the generated history.") var seed: UInt64 = 7
    @Option(help: "Number of patients.") var patients = 60
    @Option(help: "Number of sites (2-5).") var sites = 3
    @Flag(help: "Reuse DIR even if it is not empty (removes the demo's earlier ledgers, bundles and exports).") var force = false

    func validate() throws {
        guard (2...5).contains(sites) else { throw ValidationError("--sites must be 2-5") }
        guard (1...5000).contains(patients) else { throw ValidationError("--patients must be 1-5000") }
    }

    func run() throws {
        let began = Date()
        let fm = FileManager.default
        try prepareFolder()
        let today = Timestamp(seconds: Int64(Date().timeIntervalSince1970)).startOfDay
        let parameters = SimulationParameters(patients: patients, sites: sites, years: 1, seed: seed, start: today.adding(days: -365.25), moveRatePerYear: 0.15,
                                              network: "demo")
        Output.line("1. Generating a year of ITB therapy (\(parameters.start.dateString) to \(parameters.end.dateString)) for \(patients) patients at \(sites) sites, seed \(seed)...")
        let run = try NetworkRun.play(parameters, in: dir, keepBundles: true)
        let r = run.report
        let names = parameters.siteNames
        for site in names {
            Output.line("   \(site): recorded \(r.eventsBySite[site] ?? 0) events in \(path("\(site).sqlite")) (key \(path("\(site).sqlite.key")))")
        }
        let c = run.summary.concurrentProgrammings
        Output.line("   \(run.summary.moves) patients moved between sites; \(c) time\(c == 1 ? "" : "s") two sites programmed the same patient before syncing (concurrent programming, shown as a conflict until reviewed).")

        Output.line("\n2. Sites synced offline by \(r.bundles) signed bundle files in \(path("bundles")) (\(r.bundleEvents) events, \(r.bundleBytes / 1024) KiB), on irregular schedules, then a final full exchange.")
        let stores = names.compactMap { run.stores[$0] }
        let clocks = try stores.map { try $0.clock() }
        let projections = try stores.map { try $0.storedProjections() }
        let converged = Set(clocks).count == 1 && projections.dropFirst().allSatisfy { $0 == projections[0] }
        for (store, clock) in zip(stores, clocks) {
            Output.line("   \(store.site): clock \(clock), \(try store.eventCount()) events, \(projections[0].count) patients")
        }
        Output.line(converged ? "   converged: every ledger holds the same events and derives the same projections." : "   NOT converged: the ledgers differ (a bug: please report it)")

        let first = stores[0]
        let asOf = parameters.end
        // The top of the morning worklist: the most urgent patient.
        let best = try first.worklist(asOf: asOf).first?.status
        if let best {
            Output.line("\n3. Status of \(best.patient), the patient with the most urgent alerts today (at \(names[0])):")
            Output.write(Array(StatusText.render(best).utf8).map { $0 })
        }

        Output.line("\n4. Replay and verify every ledger:")
        for store in stores {
            let replay = try store.replay()
            let verify = try store.verify()
            let status = verify.isOK ? "ok, \(verify.eventCount) events verified" : "FAILED: \(verify.problems.count) problems"
            Output.line(String(format: "   %@: replayed %d events of %d patients in %.2f s; verify %@", store.site, replay.events, replay.patients, replay.seconds, status))
        }

        let exports = path("exports")
        try fm.createDirectory(atPath: exports, withIntermediateDirectories: true)
        let exporter = Exporter(store: first)
        var written: [String] = []
        for kind in ExportKind.allCases {
            let s = try exporter.export(ExportOptions(kind: kind, asOf: asOf), to: path("exports/\(kind.rawValue).csv"), progress: false)
            written.append("\(kind.rawValue) (\(s.rows))")
        }
        Output.line("\n5. CSV exports of \(names[0]) in \(exports): " + written.joined(separator: ", "))

        let ledger = path("\(names[0]).sqlite")
        let patient = best?.patient ?? "PT-000001"
        Output.line(String(format: "\nDone in %.1f s. Everything is in %@/ (ledgers, key files, bundles/, exports/). Try next:", Date().timeIntervalSince(began), dir))
        let tl = "swift run therapy-ledger"
        Output.line("   \(tl) worklist --ledger \(ledger)                 # who needs attention, most urgent first")
        Output.line("   \(tl) timeline --ledger \(ledger) --patient \(patient)")
        Output.line("   \(tl) status --ledger \(ledger) --patient \(patient) --json")
        Output.line("   \(tl) log --ledger \(ledger) --patient \(patient)")
        Output.line("   \(tl) verify --ledger \(path("\(names[1]).sqlite")) --heads heads.json   # keep heads.json for a later --against")
        Output.line("   \(tl) sites --ledger \(ledger)")
        Output.line("   \(tl) export timeline --ledger \(ledger) --pseudonymize export.key --out timeline.csv   # after: head -c 32 /dev/urandom > export.key")
        Output.line("   \(tl) generate --patients 1000 --sites 3 --years 2 --seed 1 --out network/")
    }

    func path(_ name: String) -> String { (dir as NSString).appendingPathComponent(name) }

    /// Creates the folder, refusing a non-empty one unless --force (which removes only what a demo writes).
    func prepareFolder() throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir, isDirectory: &isDir) {
            guard isDir.boolValue else { throw CLIError("\(dir) exists and is not a folder: choose another --dir") }
            let items = try fm.contentsOfDirectory(atPath: dir)
            if !items.isEmpty {
                guard force else {
                    throw CLIError("\(dir) is not empty: run `therapy-ledger demo --force` to replace the earlier demo, or choose another --dir")
                }
                for item in items where item == "bundles" || item == "exports" || item.contains(".sqlite") {
                    try fm.removeItem(atPath: path(item))
                }
            }
        }
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
}
