import Foundation
import TherapyLedgerCore
import TherapyLedgerExport
import TherapyLedgerSimulation
import TherapyLedgerStore

/// The phases, in order; each runs in its own child process so that its peak memory is its own.
let benchPhases = ["generate", "append", "append1", "export", "exportgz", "importgz", "import", "verify", "replay", "status", "csv", "files"]

/// One network size's work folder and the parameters that generate it.
struct BenchNetwork {
    let options: BenchOptions
    let size: Int
    let dir: String

    var parameters: SimulationParameters {
        let years = min(45, Double(size) / Double(options.patients * 8) + 0.5)
        let end = Timestamp(seconds: 1_735_689_600)  // 2025-01-01
        return SimulationParameters(patients: options.patients, sites: options.sites, years: years, seed: options.seed,
                                    start: end.adding(days: -years * 365.25), moveRatePerYear: 0, syncs: false,
                                    maxEvents: size, network: "bench")
    }

    var sites: [String] { parameters.siteNames }
    func path(_ name: String) -> String { (dir as NSString).appendingPathComponent(name) }
    func ledger(_ site: String) -> String { path("\(site).sqlite") }

    /// Ledgers whose clock is the end of the simulated period (so no generated time is in the future).
    var environment: LedgerStore.Environment {
        let clock = SimulationClock(start: parameters.end.adding(days: 1))
        return LedgerStore.Environment(now: { clock.now }, newID: { clock.nextID() })
    }

    func open(_ site: String) throws -> LedgerStore { try LedgerStore.open(at: ledger(site), environment: environment) }

    func run(phase: String) throws -> PhaseResult {
        var r = PhaseResult(phase: phase)
        switch phase {
        case "generate": try generate(&r)
        case "append": try append(&r)
        case "append1": try appendOneBatch(&r)
        case "export": try exportBundles(&r)
        case "exportgz": try exportBundles(&r, compressed: true)
        case "importgz": try importBundles(&r, compressed: true)
        case "import": try importBundles(&r)
        case "files": try fileBytes(&r)
        case "workload": try appendWorkload(&r)
        case "verify":
            let store = try open(sites[0])
            let start = Date()
            let v = try store.verify()
            r.seconds = Date().timeIntervalSince(start)
            r.events = v.eventCount
            if !v.isOK { r.note = "FAILED: \(v.problems.count) problems, first: \(v.problems[0])" }
        case "replay":
            let report = try open(sites[0]).replay()
            r.events = report.events
            r.seconds = report.seconds
        case "status": try status(&r)
        case "csv": try csv(&r)
        default: throw BenchError("unknown phase \(phase)")
        }
        r.peakRSSKB = peakRSSKB()
        return r
    }

    /// Generates the network's events as one JSON Lines file per site, and the list of patients.
    func generate(_ r: inout PhaseResult) throws {
        var writers: [String: FileWriter] = [:]
        for site in sites { writers[site] = try FileWriter(creating: path("gen-\(site).jsonl")) }
        let patients = try FileWriter(creating: path("patients.txt"))
        let start = Date()
        var generator = try HistoryGenerator(parameters)
        let summary = try generator.run { step in
            guard case .append(let site, _, let events) = step, let w = writers[site] else { return }
            for e in events {
                try w.write(e.jsonLine + [0x0A])
                if e.type == .patientEnrolled { try patients.write(e.patient + "\n") }
            }
        }
        for w in writers.values { try w.close() }
        try patients.close()
        r.seconds = Date().timeIntervalSince(start)
        r.events = summary.events
        r.bytes = writers.values.reduce(0) { $0 + $1.bytesWritten }
        r.note = "simulated \(String(format: "%.1f", parameters.years)) years, " + sites.map { "\($0) \(summary.eventsBySite[$0] ?? 0)" }.joined(separator: ", ")
    }

    /// Appends each site's events to its own new ledger in batches of 10,000 lines (timing the appends only).
    func append(_ r: inout PhaseResult) throws {
        for site in sites {
            let store = try LedgerStore.create(at: ledger(site), site: site, network: parameters.network, environment: environment)
            let reader = try LineReader(path: path("gen-\(site).jsonl"))
            var batch: [UInt8] = []
            var lines = 0
            func flush() throws {
                guard lines > 0 else { return }
                let start = Date()
                _ = try store.append(jsonLines: batch, source: "gen-\(site).jsonl")
                r.seconds += Date().timeIntervalSince(start)
                r.events += lines
                batch.removeAll(keepingCapacity: true)
                lines = 0
            }
            while let line = try reader.next() {
                batch += line
                batch.append(0x0A)
                lines += 1
                if lines == 10_000 { try flush() }
            }
            try flush()
            // The last batch's checkpoint, left to the background, is part of the appends' cost.
            let start = Date()
            store.waitForDeferredCheckpoint()
            r.seconds += Date().timeIntervalSince(start)
        }
    }

    /// Every site's generated lines appended to one new ledger as a single batch (one transaction), streamed
    /// from one file by the CLI's path (read twice, a chunk at a time): the phase's peak RSS is the append's.
    func appendOneBatch(_ r: inout PhaseResult) throws {
        let store = try LedgerStore.create(at: path("one.sqlite"), site: "one", network: parameters.network, environment: environment)
        let all = path("all-sites.jsonl")
        try? FileManager.default.removeItem(atPath: all)
        let writer = try FileWriter(creating: all)
        for site in sites {
            let reader = try LineReader(path: path("gen-\(site).jsonl"))
            while let line = try reader.next() {
                try writer.write(line + [0x0A])
                r.events += 1
            }
        }
        try writer.close()
        let rssBefore = peakRSSKB()
        let start = Date()
        let outcomes = try store.append(from: JSONLinesInput(path: all), source: "all sites")
        store.waitForDeferredCheckpoint()
        r.seconds = Date().timeIntervalSince(start)
        r.bytes = writer.bytesWritten
        r.note = "streamed from a \(writer.bytesWritten / 1_048_576) MB file, \(outcomes.count) outcomes; peak RSS \(rssBefore / 1024) MB before the append"
        try? FileManager.default.removeItem(atPath: all)
        for p in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path("one.sqlite") + p) }
        try? FileManager.default.removeItem(atPath: SiteKey.path(forLedger: path("one.sqlite")))
    }

    /// Every site but the first writes a full bundle of its events (gzip-compressed: `sync export --compress`).
    /// The compressed run first keeps a copy of the first site's ledger for ``importBundles(_:compressed:)``.
    func exportBundles(_ r: inout PhaseResult, compressed: Bool = false) throws {
        guard sites.count > 1 else { r.note = "n/a: one site"; return }
        if compressed {
            try open(sites[0]).backup(to: path("gz-target.sqlite"), force: true)
            try? FileManager.default.removeItem(atPath: SiteKey.path(forLedger: path("gz-target.sqlite")))
            try FileManager.default.copyItem(atPath: SiteKey.path(forLedger: ledger(sites[0])), toPath: SiteKey.path(forLedger: path("gz-target.sqlite")))
        }
        for site in sites.dropFirst() {
            let report = try open(site).exportBundle(to: path("\(site).bundle" + (compressed ? ".gz" : "")), compress: compressed)
            r.events += report.events
            r.bytes += report.bytes
            r.seconds += report.seconds
        }
    }

    /// The first site imports every other site's bundle: afterwards it holds the whole network. The compressed
    /// bundles go into the copy made by the compressed export.
    func importBundles(_ r: inout PhaseResult, compressed: Bool = false) throws {
        guard sites.count > 1 else { r.note = "n/a: one site"; return }
        let store = compressed ? try LedgerStore.open(at: path("gz-target.sqlite"), environment: environment) : try open(sites[0])
        for site in sites.dropFirst() {
            let file = path("\(site).bundle" + (compressed ? ".gz" : ""))
            let start = Date()
            let report = try store.importBundle(from: file)
            if site == sites.last { store.waitForDeferredCheckpoint() }
            r.seconds += Date().timeIntervalSince(start)
            r.events += report.newEvents
            r.bytes += (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        }
        if compressed {
            for p in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path("gz-target.sqlite") + p) }
        }
    }

    /// What the first site's ledger (the whole network, after the import) costs on disk per event, and which part
    /// costs what: the body (canonical bytes), the rest of each row (the fact columns), and each index.
    func fileBytes(_ r: inout PhaseResult) throws {
        let store = try open(sites[0])
        let parts = try store.storageParts()
        r.events = parts.events
        r.bytes = parts.fileBytes
        func per(_ b: Int) -> String { String(format: "%.0f", Double(b) / Double(max(parts.events, 1))) }
        r.note = "body \(per(parts.bodyBytes)), fact columns and row overhead \(per(parts.tableBytes - parts.bodyBytes)), "
            + parts.indexes.map { "\($0.name) \(per($0.bytes))" }.joined(separator: ", ") + " (bytes/event)"
    }

    /// The peer's workload (`scripts/bulk_events.py`: PATIENTS x PER lines in `workload.jsonl`) appended to a new
    /// ledger in batches of 10,000, best of three runs, as the peer's script appends it.
    func appendWorkload(_ r: inout PhaseResult) throws {
        let lines = try LineReader(path: path("workload.jsonl"))
        var batches: [[UInt8]] = [[]]
        var count = 0
        while let line = try lines.next() {
            if count > 0 && count % 10_000 == 0 { batches.append([]) }
            batches[batches.count - 1] += line
            batches[batches.count - 1].append(0x0A)
            count += 1
        }
        var best = Double.infinity
        for run in 1...3 {
            let file = path("workload-\(run).sqlite")
            let store = try LedgerStore.create(at: file, site: "peer", network: "bench", environment: .live)
            let start = Date()
            for batch in batches { _ = try store.append(jsonLines: batch, source: "workload.jsonl") }
            store.waitForDeferredCheckpoint()
            best = min(best, Date().timeIntervalSince(start))
            for p in ["", "-wal", "-shm", ".key"] { try? FileManager.default.removeItem(atPath: file + p) }
            try? FileManager.default.removeItem(atPath: SiteKey.path(forLedger: file))
        }
        r.events = count
        r.seconds = best
        r.note = "best of 3, batches of 10k, live clock and ids"
    }

    /// The status of 1,000 random patients, one at a time, at the end of the period.
    func status(_ r: inout PhaseResult) throws {
        let store = try open(sites[0])
        let text = try String(contentsOfFile: path("patients.txt"), encoding: .utf8)
        let patients = text.split(separator: "\n").map(String.init)
        guard !patients.isEmpty else { throw BenchError("no patients in \(path("patients.txt"))") }
        var g = SeededRandom(seed: options.seed)
        var latencies: [Double] = []
        let asOf = parameters.end
        for _ in 0..<1000 {
            let patient = patients[g.int(0...(patients.count - 1))]
            let start = DispatchTime.now().uptimeNanoseconds
            let s = try store.status(patient: patient, asOf: asOf)
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            r.events += s.patient.isEmpty ? 0 : 1
        }
        latencies.sort()
        r.seconds = latencies.reduce(0, +) / 1000
        r.p50Ms = latencies[latencies.count / 2]
        r.p99Ms = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
        r.note = "1000 random patients, as of \(asOf.dateString)"
    }

    /// Every CSV export kind of the whole network (the first site's ledger), to files.
    func csv(_ r: inout PhaseResult) throws {
        let store = try open(sites[0])
        let exporter = Exporter(store: store)
        try FileManager.default.createDirectory(atPath: path("csv"), withIntermediateDirectories: true)
        var parts: [String] = []
        for kind in ExportKind.allCases {
            let s = try exporter.export(ExportOptions(kind: kind, asOf: parameters.end), to: path("csv/\(kind.rawValue).csv"), progress: false)
            r.rows += s.rows
            r.bytes += s.bytes
            r.seconds += s.seconds
            parts.append("\(kind.rawValue) \(Int(s.rowsPerSecond / 1000))k/s")
        }
        r.events = try store.eventCount()
        r.note = "all \(ExportKind.allCases.count) kinds: " + parts.joined(separator: ", ")
    }
}
