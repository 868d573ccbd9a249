import Foundation
import Testing
import TherapyLedgerSimulation
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// Seeded property tests of the projections: arrival order never matters, and the stored (incrementally
/// maintained) projections always equal a full replay. Each failure names its seed; rerun one seed by
/// putting it in `seeds`.
@Suite struct ProjectionPropertyTests {
    static let seeds: [UInt64] = Array(1...100)

    // MARK: random multi-site histories

    /// A random history of one patient at two sites, with syncs, ties in occurredAt, corrections,
    /// conflicts and resolutions.
    static func randomHistory(_ rng: inout SeededRandom) -> History {
        var h = History()
        let sites = ["north", "south"]
        h.enrol("2025-01-01T00:00:00Z")
        h.implant("2025-01-06T00:00:00Z", conc: [500, 2000].randomElement(using: &rng) ?? 2000, dose: 400)
        h.sync(from: "north", to: "south")
        var doses: [String] = []
        var boluses: [String] = []
        var reports: [String] = []
        let start = ts("2025-01-07T00:00:00Z")
        for _ in 0..<Int.random(in: 8...30, using: &rng) {
            let site = sites.randomElement(using: &rng) ?? "north"
            // Few distinct times, so that ties in occurredAt are common.
            let at = start.adding(seconds: Int64.random(in: 0...40, using: &rng) * 86_400 + [0, 0, 6 * 3600, 12 * 3600].randomElement(using: &rng)!).iso8601
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<25:
                doses.append(h.program(at, Double(Int.random(in: 100...900, using: &rng)), site: site))
            case 25..<40:
                h.refill(at, residual: Double(Int.random(in: 0...80, using: &rng)) / 4, conc: [500, 2000].randomElement(using: &rng)!,
                         due: Bool.random(using: &rng) ? ts(at).adding(days: 45).dateString : nil, site: site)
            case 40..<50:
                boluses.append(h.bolus(at, Double(Int.random(in: 10...200, using: &rng)), site: site))
            case 50..<58:
                h.add(.assessmentRecorded, at, EventFacts(label: "2", label2: "1"), site: site)
            case 58..<64:
                reports.append(h.add(.adverseEventReported, at, EventFacts(grade: Int.random(in: 1...4, using: &rng), serious: Bool.random(using: &rng), label: "other"), site: site))
            case 64..<68:
                if let r = reports.randomElement(using: &rng) { h.add(.adverseEventResolved, at, EventFacts(label: "recovered", ref: r), site: site) }
            case 68..<76:
                if let d = doses.randomElement(using: &rng) {
                    h.add(.eventCorrected, at, EventFacts(dailyDoseMcg: Double(Int.random(in: 100...900, using: &rng)), label: "simple-continuous", ref: d, action: "amend"), site: site)
                }
            case 76..<80:
                if let b = (boluses + doses).randomElement(using: &rng) { h.add(.eventCorrected, at, EventFacts(ref: b, action: "void"), site: site) }
            case 80..<84:
                if doses.count >= 2 {
                    let pair = Array(doses.shuffled(using: &rng).prefix(2))
                    h.add(.conflictResolved, at, EventFacts(refs: pair), site: site)
                }
            case 84..<86:
                h.implant(at, reservoir: 40, conc: 1000, fill: 40, dose: 300, replace: true, site: site)
            case 86..<87:
                h.add(.pumpExplanted, at, EventFacts(), site: site)
            default:
                let other = site == "north" ? "south" : "north"
                h.sync(from: other, to: site)
            }
        }
        return h
    }

    /// Everything the projections say about `events`, as bytes: status at several times (also as known
    /// mid-way), the timeline, and the stored projection.
    static func observe(_ h: History, events: [ProjectionEvent]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        let midKnown = ts("2025-06-01T00:00:00Z").adding(seconds: Int64(events.count / 2))
        for asOf in ["2025-01-05T00:00:00Z", "2025-01-20T06:00:00Z", "2025-02-01T12:00:00Z", "2025-02-20T00:00:00Z", "2025-06-01T00:00:00Z"] {
            for knownAt in [nil, midKnown] {
                out.append(CanonicalJSON.encode(Projector.status(patient: h.patient, events: events, asOf: ts(asOf), knownAt: knownAt).json))
            }
        }
        for asOf in [nil, ts("2025-01-25T00:00:00Z")] {
            out.append(Projector.timeline(events: events, asOf: asOf, knownAt: nil).flatMap { CanonicalJSON.encode($0.json) + [0x0A] })
        }
        out.append(Projector.storedProjection(patient: h.patient, events: events))
        return out
    }

    @Test func arrivalOrderNeverChangesAnyProjection() {
        for seed in Self.seeds {
            var rng = SeededRandom(seed: seed)
            let h = Self.randomHistory(&rng)
            let reference = Self.observe(h, events: h.events)
            for round in 0..<4 {
                let shuffled = h.events.shuffled(using: &rng)
                let got = Self.observe(h, events: shuffled)
                if got != reference {
                    let k = zip(got, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1
                    Issue.record("seed \(seed), shuffle \(round): output \(k) differs\n  in order: \(String(decoding: reference[max(k, 0)], as: UTF8.self))\n  shuffled: \(String(decoding: got[max(k, 0)], as: UTF8.self))")
                    return
                }
            }
        }
    }

    @Test func historiesExerciseTheInterestingCases() {
        // Guards the generator: across the seeds there are conflicts, corrections and ties in occurredAt.
        var conflicts = 0, corrections = 0, ties = 0
        for seed in Self.seeds {
            var rng = SeededRandom(seed: seed)
            let h = Self.randomHistory(&rng)
            let s = Projector.status(patient: h.patient, events: h.events, asOf: ts("2025-06-01T00:00:00Z"), knownAt: nil)
            conflicts += s.conflicts.count
            corrections += h.events.filter { $0.type == .eventCorrected }.count
            ties += h.events.count - Set(h.events.map(\.occurredAt)).count
        }
        #expect(conflicts > 20 && corrections > 20 && ties > 20, "conflicts \(conflicts), corrections \(corrections), ties \(ties)")
    }

    // MARK: stored projections vs replay

    static func randomBatch(_ rng: inout SeededRandom, patients: [String], implantedAt: [String: Timestamp], ids: inout [String: [String]], counter: inout Int) -> [String] {
        var lines: [String] = []
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            let p = patients.randomElement(using: &rng) ?? "P001"
            counter += 1
            let eid = id(counter)
            let base = implantedAt[p] ?? ts("2025-01-10T00:00:00Z")
            let at = base.adding(seconds: Int64.random(in: 1...200, using: &rng) * 86_400 / 2).iso8601
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<30 where implantedAt[p] != nil:
                lines.append(event("dose.programmed", patient: p, at: at, id: eid, data: .object(["dailyDoseMcg": .number(Double(Int.random(in: 50...900, using: &rng)))])))
                ids["dose", default: []].append(eid)
            case 30..<50 where implantedAt[p] != nil:
                lines.append(event("reservoir.refilled", patient: p, at: at, id: eid, data: .object([
                    "residualMl": .number(Double(Int.random(in: 0...40, using: &rng)) / 2), "addedMl": .number(20),
                    "concentrationMcgPerMl": .number([500, 2000].randomElement(using: &rng) ?? 2000)])))
            case 50..<62 where implantedAt[p] != nil:
                lines.append(event("bolus.delivered", patient: p, at: at, id: eid, data: .object(["doseMcg": .number(50), "kind": .string("single")])))
                ids["bolus", default: []].append(eid)
            case 62..<75:
                lines.append(event("assessment.recorded", patient: p, at: at, id: eid, data: .object(["pennSpasmFrequency": .number(Double(Int.random(in: 0...4, using: &rng)))])))
            case 75..<85:
                lines.append(event("adverse-event.reported", patient: p, at: at, id: eid, data: .object([
                    "category": .string("other"), "grade": .number(3), "serious": .bool(true)])))
            default:
                // Corrections name their target's patient; the target is from an earlier batch.
                if let (target, patient) = ids["dose-of", default: []].randomElement(using: &rng).map({ ($0, ids["patient-of-" + $0]?.first ?? p) }) {
                    lines.append(event("event.corrected", patient: patient, at: at, id: eid, reason: "typo",
                                       data: .object(["target": .string(target), "action": .string("amend"),
                                                      "data": .object(["dailyDoseMcg": .number(Double(Int.random(in: 50...900, using: &rng)))])])))
                } else {
                    lines.append(event("assessment.recorded", patient: p, at: at, id: eid, data: .object(["ashworth": .string("1+")])))
                }
            }
        }
        return lines
    }

    @Test func storedProjectionsEqualAFullReplayAfterEveryBatch() throws {
        for seed in Self.seeds {
            var rng = SeededRandom(seed: seed)
            let ledger = try TestLedger()
            let store = try ledger.open()
            let patients = ["P001", "P002", "P003"]
            var implantedAt: [String: Timestamp] = [:]
            var first: [String] = []
            var counter = 0
            for p in patients {
                counter += 1
                first.append(enrol(p, id: id(counter)))
                if Bool.random(using: &rng) || p == "P001" {
                    counter += 1
                    let at = ts("2025-01-10T00:00:00Z").adding(days: Double(Int.random(in: 0...20, using: &rng)))
                    implantedAt[p] = at
                    first.append(event("pump.implanted", patient: p, at: at.iso8601, id: id(counter), data: .object([
                        "pumpModel": .string("SynchroMed II"), "pumpSerial": .string("NGP\(counter)"), "reservoirMl": .number(20),
                        "concentrationMcgPerMl": .number(2000), "fillMl": .number(20), "dailyDoseMcg": .number(400)])))
                }
            }
            var ids: [String: [String]] = [:]
            var batches = [first]
            for _ in 0..<4 { batches.append(Self.randomBatch(&rng, patients: patients, implantedAt: implantedAt, ids: &ids, counter: &counter)) }
            for (k, batch) in batches.enumerated() {
                do {
                    _ = try store.append(jsonLines: Array((batch.joined(separator: "\n") + "\n").utf8))
                } catch {
                    Issue.record("seed \(seed), batch \(k): the generated batch was refused: \(error)\n\(batch.joined(separator: "\n"))")
                    return
                }
                // Doses recorded so far may be amended by later batches (with their own patient).
                for line in batch where line.contains("\"dose.programmed\"") {
                    let v = json(line)
                    if let i = v["id"]?.stringValue, let p = v["patient"]?.stringValue {
                        ids["dose-of", default: []].append(i)
                        ids["patient-of-" + i] = [p]
                    }
                }
                let incremental = try store.storedProjections()
                let report = try store.replay()
                let rebuilt = try store.storedProjections()
                if incremental != rebuilt || Set(rebuilt.keys) != Set(patients) {
                    let differing = rebuilt.keys.filter { incremental[$0] != rebuilt[$0] }.sorted()
                    Issue.record("seed \(seed), batch \(k): stored projections differ from a replay for \(differing); stored for \(incremental.keys.sorted()), replayed \(report.events) events")
                    return
                }
            }
        }
    }
}
