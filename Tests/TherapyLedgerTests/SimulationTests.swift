import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerSimulation
@testable import TherapyLedgerStore

/// Plays the history of `parameters` on one ledger per site in `dir` (the library's NetworkRun, as `generate` does).
func playSimulation(_ parameters: SimulationParameters, in dir: TempDir) throws -> (stores: [String: LedgerStore], report: DriverReport, summary: SimulationSummary) {
    let run = try NetworkRun.play(parameters, in: dir.path, keepBundles: false)
    return (run.stores, run.report, run.summary)
}

/// All the bytes of a generated history: each step as a line.
func historyBytes(_ steps: [SimulationStep]) -> [UInt8] {
    var out: [UInt8] = []
    for step in steps {
        switch step {
        case .append(let site, let at, let events):
            out += Array("append \(site) \(at.iso8601)\n".utf8)
            for e in events { out += e.jsonLine + [0x0A] }
        case .sync(let from, let to, let at):
            out += Array("sync \(from) \(to) \(at.iso8601)\n".utf8)
        }
    }
    return out
}

@Suite struct SimulationTests {
    static let small = SimulationParameters(patients: 40, sites: 3, years: 1.5, seed: 11, moveRatePerYear: 0.3)

    @Test func sameSeedGivesSameBytes() throws {
        let a = try HistoryGenerator.generate(Self.small)
        let b = try HistoryGenerator.generate(Self.small)
        #expect(a.summary.events > 300)
        #expect(historyBytes(a.steps) == historyBytes(b.steps))
    }

    @Test func differentSeedsDiffer() throws {
        var other = Self.small
        other.seed = 12
        let a = try HistoryGenerator.generate(Self.small)
        let b = try HistoryGenerator.generate(other)
        #expect(historyBytes(a.steps) != historyBytes(b.steps))
    }

    @Test func historyCoversTheFlowOfCare() throws {
        var p = Self.small
        p.patients = 150
        p.years = 3
        let (_, s) = try HistoryGenerator.generate(p)
        for type in EventType.allCases {
            #expect((s.eventsByType[type] ?? 0) > 0, "seed \(p.seed): no \(type.rawValue) generated")
        }
        #expect(s.moves > 0 && s.concurrentProgrammings > 0, "seed \(p.seed): moves \(s.moves), concurrent \(s.concurrentProgrammings)")
    }

    @Test func titrationRespectsStepLimitsAndImplantDay() throws {
        var p = Self.small
        p.patients = 120
        let (steps, _) = try HistoryGenerator.generate(p)
        var origin: [String: String] = [:]
        var programs: [String: [(at: Int64, dose: Double, implant: Bool)]] = [:]
        for case .append(_, _, let events) in steps {
            for e in events {
                if e.type == .patientEnrolled { origin[e.patient] = e.facts.label2 }
                if e.type == .pumpImplanted || e.type == .pumpReplaced, let d = e.facts.dailyDoseMcg {
                    programs[e.patient, default: []].append((e.occurredAt.seconds, d, true))
                }
                if e.type == .doseProgrammed, let d = e.facts.dailyDoseMcg {
                    programs[e.patient, default: []].append((e.occurredAt.seconds, d, false))
                }
            }
        }
        var increases = 0
        for (patient, list) in programs {
            let sorted = list.sorted { $0.at < $1.at }
            let limit = origin[patient] == "cerebral" ? 0.15 : 0.30
            for (k, e) in sorted.enumerated() where k > 0 && !e.implant {
                // The lowest dose in force during the 24 h before.
                var baseline = sorted[k - 1].dose
                var lastImplant: Int64 = 0
                for j in stride(from: k - 1, through: 0, by: -1) {
                    if sorted[j].implant { lastImplant = max(lastImplant, sorted[j].at) }
                    let nextStart = sorted[j + 1].at
                    if nextStart > e.at - 86_400 { baseline = min(baseline, sorted[j].dose) }
                }
                if e.dose > sorted[k - 1].dose {
                    increases += 1
                    #expect(e.at - lastImplant >= 86_400, "seed \(p.seed): \(patient) dose increased within 24 h of implant")
                    #expect((e.dose - baseline) / baseline <= limit, "seed \(p.seed): \(patient) stepped \(baseline) -> \(e.dose) in 24 h")
                }
            }
        }
        #expect(increases > 50)
    }

    @Test func generatedHistoryIsAcceptedAndSitesConverge() throws {
        let dir = TempDir()
        let (stores, report, summary) = try playSimulation(Self.small, in: dir)
        #expect(report.eventsAppended == summary.events)
        #expect(report.bundles == summary.syncs && report.bundles > 10)
        let clocks = try stores.values.map { try $0.clock() }
        #expect(Set(clocks).count == 1, "clocks differ after the final exchange: \(clocks)")
        let counts = try stores.values.map { try $0.eventCount() }
        #expect(counts.allSatisfy { $0 == summary.events })
        let projections = try stores.values.map { try $0.storedProjections() }
        #expect(projections.dropFirst().allSatisfy { $0 == projections[0] })
        for store in stores.values {
            let v = try store.verify()
            #expect(v.isOK, "\(store.site): \(v.problems.prefix(3))")
        }
    }

    @Test func refillsAreMostlyWithinTolerance() throws {
        var p = Self.small
        p.syncs = false
        p.moveRatePerYear = 0
        let dir = TempDir()
        let (stores, _, _) = try playSimulation(p, in: dir)
        var refills = 0, flagged = 0
        for store in stores.values {
            try store.forEachPatient { patient, events in
                let (projection, _, _) = Projector.projection(patient: patient, events: events)
                refills += projection.refills.count
                flagged += projection.refills.filter(\.flagged).count
            }
        }
        #expect(refills > 100)
        #expect(Double(flagged) / Double(refills) < 0.2, "\(flagged) of \(refills) refills flagged")
    }
}

@Suite struct BenchSmokeTests {
    /// The benchmark's whole code path (generate, append, export, import, verify, replay, status, CSV) at a tiny size.
    @Test func benchRunsAtATinySize() throws {
        let bench = rootPath(".build/debug/therapy-ledger-bench")
        guard FileManager.default.isExecutableFile(atPath: bench) else {
            throw TestFailure("the bench binary is missing at \(bench): run `swift build` before `swift test`")
        }
        let dir = TempDir()
        let json = dir.file("bench.json")
        let r = try run(bench, ["--events", "1500", "--patients", "150", "--no-peer", "--json", json, "--dir", dir.file("work")])
        #expect(r.status == 0, "\(r)")
        let value = try JSONParser.parse(Array(FileManager.default.contents(atPath: json) ?? Data()))
        guard case .array(let results)? = value["results"], case .array(let phases)? = results.first?["phases"] else {
            throw TestFailure("no results in \(json)")
        }
        #expect(phases.compactMap { $0["phase"]?.stringValue } == ["generate", "append", "append1", "export", "exportgz", "importgz", "import", "verify", "replay", "status", "csv", "files"])
        #expect(phases.allSatisfy { ($0["events"]?.numberValue ?? 0) > 0 && $0["note"]?.stringValue?.hasPrefix("FAILED") != true })
    }
}
