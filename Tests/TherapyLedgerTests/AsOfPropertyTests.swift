import Foundation
import Testing
import TherapyLedgerSimulation
@testable import TherapyLedgerCore

/// No event after the as-of time changes any output at that time (corrections excepted: they apply at every
/// as-of time). For random histories and times t, the status and timeline at t equal those computed from the
/// ledger without the non-correction events that occurred after t. Each failure names its seed.
@Suite struct AsOfPropertyTests {
    static let seeds: [UInt64] = Array(1...150)

    /// A random history rich in the rules that could look ahead: concentration changes with programmings and bridge
    /// boluses minutes to hours later, refills (dry, under, over), adverse events, revisions, interrogations,
    /// acknowledgements, replacements, explants and corrections, at two sites.
    static func randomHistory(_ rng: inout SeededRandom) -> History {
        var h = History()
        let sites = ["north", "south"]
        h.enrol("2025-01-01T00:00:00Z")
        h.implant("2025-01-06T00:00:00Z", conc: [500, 2000].randomElement(using: &rng) ?? 2000, dose: 400, lowAlarm: Bool.random(using: &rng) ? 4 : nil)
        h.sync(from: "north", to: "south")
        var ids: [String] = []
        var doses: [String] = []
        var reports: [String] = []
        var t = ts("2025-01-07T00:00:00Z")
        for _ in 0..<Int.random(in: 10...35, using: &rng) {
            let site = sites.randomElement(using: &rng) ?? "north"
            // Steps of minutes to weeks, and sometimes the same time again (ties).
            t = t.adding(seconds: [0, 600, 1800, 3600, 3601, 7200, 86_400, 5 * 86_400, 20 * 86_400].randomElement(using: &rng) ?? 3600)
            let at = t.iso8601
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<15:
                doses.append(h.program(at, Double(Int.random(in: 100...900, using: &rng)), lowAlarm: Bool.random(using: &rng) ? nil : 3, site: site))
            case 15..<32:
                ids.append(h.refill(at, residual: Double(Int.random(in: 0...80, using: &rng)) / 4, conc: [500, 1000, 2000].randomElement(using: &rng) ?? 2000,
                                    due: Bool.random(using: &rng) ? t.adding(days: 30).dateString : nil, site: site))
            case 32..<42:
                ids.append(h.add(.bolusDelivered, at, EventFacts(bolusMcg: Double(Int.random(in: 10...200, using: &rng)),
                                                                 label: ["bridge", "single"].randomElement(using: &rng) ?? "bridge"), site: site))
            case 42..<52:
                let category = ["withdrawal", "overdose", "catheter-malfunction", "pump-malfunction", "other"].randomElement(using: &rng) ?? "other"
                let grade = Int.random(in: 1...5, using: &rng)
                reports.append(h.add(.adverseEventReported, at, EventFacts(grade: grade, serious: grade >= 4 || Bool.random(using: &rng), label: category), site: site))
            case 52..<57:
                if let r = reports.randomElement(using: &rng) { h.add(.adverseEventResolved, at, EventFacts(label: "recovered", ref: r), site: site) }
            case 57..<62:
                h.add(.catheterRevised, at, EventFacts(), site: site)
            case 62..<70:
                h.add(.pumpInterrogated, at, EventFacts(label: DataValidator.interrogationFindings.randomElement(using: &rng)), site: site)
            case 70..<77:
                let targets = ids + reports + doses
                if let target = targets.randomElement(using: &rng) {
                    h.add(.alertAcknowledged, at, EventFacts(nextRefillDue: Bool.random(using: &rng) ? t.adding(days: 2) : nil,
                                                             label: Alert.codes.randomElement(using: &rng), refs: [target]), site: site)
                }
            case 77..<83:
                if let d = doses.randomElement(using: &rng) {
                    h.add(.eventCorrected, at, EventFacts(dailyDoseMcg: Double(Int.random(in: 100...900, using: &rng)), label: "simple-continuous", ref: d, action: "amend"), site: site)
                }
            case 83..<86:
                if let b = (ids + doses).randomElement(using: &rng) { h.add(.eventCorrected, at, EventFacts(ref: b, action: "void"), site: site) }
            case 86..<89:
                h.implant(at, reservoir: 40, conc: 1000, fill: 40, dose: 300, replace: true, site: site)
            case 89..<90:
                h.add(.pumpExplanted, at, EventFacts(), site: site)
            case 90..<92:
                h.implant(at, conc: 2000, dose: 400, site: site)
            default:
                h.sync(from: site == "north" ? "south" : "north", to: site)
            }
        }
        return h
    }

    /// The times to look at: every event time, a second before and after it, and half an hour and a day later.
    static func times(_ h: History, _ rng: inout SeededRandom) -> [Timestamp] {
        let all = Set(h.events.flatMap { e in [-1, 0, 1, 1800, 86_400].map { e.occurredAt.adding(seconds: Int64($0)) } })
        return Array(all.sorted().shuffled(using: &rng).prefix(12))
    }

    @Test func laterEventsNeverChangeTheStatusOrTimeline() {
        for seed in Self.seeds {
            var rng = SeededRandom(seed: seed)
            let h = Self.randomHistory(&rng)
            for t in Self.times(h, &rng) {
                let past = h.events.filter { $0.type == .eventCorrected || $0.occurredAt <= t }
                let full = Projector.status(patient: h.patient, events: h.events, asOf: t, knownAt: nil)
                let truncated = Projector.status(patient: h.patient, events: past, asOf: t, knownAt: nil)
                if full != truncated {
                    Issue.record("seed \(seed), as of \(t.iso8601): a later event changed the status\n  all events: \(full.jsonText)\n  past only:  \(truncated.jsonText)")
                    return
                }
                let a = Projector.timeline(events: h.events, asOf: t, knownAt: nil).map { CanonicalJSON.string($0.json) }
                let b = Projector.timeline(events: past, asOf: t, knownAt: nil).map { CanonicalJSON.string($0.json) }
                if a != b {
                    Issue.record("seed \(seed), as of \(t.iso8601): a later event changed the timeline\n  \(a.joined(separator: "\n  "))\n vs\n  \(b.joined(separator: "\n  "))")
                    return
                }
            }
        }
    }

    @Test func historiesExerciseTheLookAheadCases() {
        // Guards the generator: across the seeds, concentration changes are programmed within the hour, alerts of the
        // new rules are raised, and some alerts are acknowledged.
        var codes: Set<String> = []
        var acknowledged = 0
        for seed in Self.seeds {
            var rng = SeededRandom(seed: seed)
            let h = Self.randomHistory(&rng)
            for t in Self.times(h, &rng) {
                let s = Projector.status(patient: h.patient, events: h.events, asOf: t, knownAt: nil)
                codes.formUnion(s.codes)
                acknowledged += s.alerts.filter { $0.acknowledgement != nil }.count
            }
        }
        let wanted: Set<String> = ["concentration-change", "bridge-bolus-missing", "delivery-problem", "overdose-suspected", "refill-under-delivery",
                                   "refill-over-infusion", "reservoir-ran-dry", "pump-eri", "explant-withdrawal-watch"]
        #expect(wanted.isSubset(of: codes), "missing: \(wanted.subtracting(codes).sorted())")
        #expect(acknowledged > 0)
    }
}
