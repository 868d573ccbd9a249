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
            Creates site ledgers under DIR and records a year of therapy up to today (about 45 % of the patients already \
            have a pump when the year starts, its implant back-dated up to 7 years; the others are enrolled, screened and \
            implanted during the year), syncs the sites by bundle files, \
            shows that they converged, prints the status of a patient with alerts, replays and verifies, and writes \
            the CSV exports. Everything it writes stays in DIR.
            """)

    @Option(help: ArgumentHelp("The folder to create the demo in.", valueName: "DIR")) var dir = "therapy-ledger-demo"
    @Option(help: "Seed of the generated history.") var seed: UInt64 = 7
    @Option(help: "Number of patients.") var patients = 60
    @Option(help: "Number of sites (2-5).") var sites = 3
    @Flag(help: "Reuse DIR even if it is not empty (removes the demo's earlier ledgers, bundles, exports and what its suggested commands wrote).") var force = false

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
        Output.line("1. Recording a year of ITB therapy (\(parameters.start.dateString) to \(parameters.end.dateString)) for \(Plural.count(patients, "patient")) at \(Plural.count(sites, "site")), seed \(seed):")
        Output.line("   about 45 % already have a pump when the year starts (implanted up to 7 years earlier, back-dated); the others are enrolled, screened and implanted during the year...")
        let run = try NetworkRun.play(parameters, in: dir, keepBundles: true)
        let r = run.report
        let names = parameters.siteNames
        for site in names {
            Output.line("   \(site): recorded \(Plural.count(r.eventsBySite[site] ?? 0, "event")) in \(path("\(site).sqlite")) (key \(path("\(site).sqlite.key")))")
        }
        let c = run.summary.concurrentProgrammings
        Output.line("   \(Plural.count(run.summary.moves, "patient")) moved between sites; \(Plural.count(c, "time")) two sites programmed the same patient before syncing (concurrent programming, shown as a conflict until reviewed).")

        Output.line("\n2. Sites synced offline by \(Plural.count(r.bundles, "signed bundle file")) in \(path("bundles")) (\(Plural.count(r.bundleEvents, "event")), \(r.bundleBytes / 1024) KiB), on irregular schedules, then a final full exchange.")
        let stores = names.compactMap { run.stores[$0] }
        let clocks = try stores.map { try $0.clock() }
        let projections = try stores.map { try $0.storedProjections() }
        let converged = Set(clocks).count == 1 && projections.dropFirst().allSatisfy { $0 == projections[0] }
        for (store, clock) in zip(stores, clocks) {
            Output.line("   \(store.site): clock \(clock), \(Plural.count(try store.eventCount(), "event")), \(Plural.count(projections[0].count, "patient"))")
        }
        Output.line(converged ? "   converged: every ledger holds the same events and derives the same projections." : "   NOT converged: the ledgers differ (a bug: please report it)")

        let first = stores[0]
        let asOf = parameters.end
        // The top of the morning worklist: the most urgent patient.
        let best = try first.worklist(asOf: asOf).first?.status
        if let best {
            Output.line("\n3. Status of \(best.patient), at the top of today's worklist (the most urgent alert or the nearest low-alarm, empty or refill date) at \(names[0]):")
            Output.write(Array(StatusText.render(best).utf8).map { $0 })
        }

        Output.line("\n4. Replay and verify every ledger:")
        for store in stores {
            let replay = try store.replay()
            let verify = try store.verify()
            let status = verify.isOK ? "ok, \(Plural.count(verify.eventCount, "event")) verified" : "FAILED: \(Plural.count(verify.problems.count, "problem"))"
            Output.line(String(format: "   %@: replayed %@ of %@ in %.2f s; verify %@", store.site, Plural.count(replay.events, "event"), Plural.count(replay.patients, "patient"), replay.seconds, status))
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
        for line in Self.nextCommands(dir: dir, ledger: ledger, other: path("\(names[1]).sqlite"), patient: patient) {
            Output.line("   " + line)
        }
    }

    /// The commands the demo suggests, in an order that works as printed: everything they write goes into
    /// `dir` (the export key is made before the export that uses it). A test runs them.
    static func nextCommands(dir: String, ledger: String, other: String, patient: String) -> [String] {
        let tl = "swift run therapy-ledger"
        func path(_ name: String) -> String { (dir as NSString).appendingPathComponent(name) }
        return [
            "\(tl) worklist --ledger \(ledger)                 # who needs attention, most urgent first",
            "\(tl) timeline --ledger \(ledger) --patient \(patient)",
            "\(tl) status --ledger \(ledger) --patient \(patient) --json",
            "\(tl) log --ledger \(ledger) --patient \(patient)",
            "\(tl) verify --ledger \(other) --heads \(path("heads.json"))   # keep the heads file for a later --against",
            "\(tl) verify --ledger \(other) --against \(path("heads.json"))",
            "\(tl) sites --ledger \(ledger)",
            "head -c 32 /dev/urandom > \(path("export.key"))   # a secret key for pseudonyms",
            "\(tl) export timeline --ledger \(ledger) --pseudonymize \(path("export.key")) --out \(path("exports/timeline-pseudonymized.csv"))",
            "\(tl) generate --patients 50 --sites 3 --seed 1 --out \(path("network"))   # a bigger network, on its own",
        ]
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
                for item in items where ["bundles", "exports", "network", "heads.json", "export.key"].contains(item) || item.contains(".sqlite") {
                    try fm.removeItem(atPath: path(item))
                }
            }
        }
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
}
