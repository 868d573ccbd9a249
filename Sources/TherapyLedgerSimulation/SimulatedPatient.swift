import Foundation
import TherapyLedgerCore

/// Where a simulated patient is in the flow of care.
enum CarePhase: Sendable, Hashable {
    case screening, awaitingImplant, notCandidate, titrating, maintenance, explanted
}

/// The simulator's own model of one patient: who they are, their pump and program, and a reservoir
/// model that mirrors the ledger's (docs/clinical-model.md: rate = dose / programmed concentration, linear fall,
/// a bolus takes dose / concentration at once, a refill sets the volume to the amount added).
struct SimulatedPatient: Sendable {
    let index: Int
    let id: String
    var rng: SeededRandom
    let origin: String
    let indication: String
    let birthYear: Int
    /// The site recording this patient's care, and the site they are moving to (once it knows them).
    var site: Int
    var pendingMove: Int?
    var phase: CarePhase = .screening
    /// For each site, the highest seq of this patient's events recorded there (0: none).
    var lastSeqBySite: [Int64]

    // Therapy.
    var effectiveTrialMcg = 50.0
    var targetDose: Double
    var dose = 0.0
    var reservoirMl = 40.0
    var lowAlarmMl = 2.0
    var reservoirConcentration = 500.0
    var programmedConcentration = 500.0
    var lastProgramAt: Int64 = 0
    var volume = 0.0
    var volumeAt: Int64 = 0
    var lastFillMl = 0.0
    var refillGeneration = 0
    var scheduledRefillAt: Int64 = 0
    // Outcomes.
    let baselineAshworth: Int
    let baselinePenn: Int
    /// A concurrent programming to close with `conflict.resolved` once the current site has seen both:
    /// the stale event, the site and seq it was recorded under, and the new site's event.
    var openConflict: (stale: String, site: Int, seq: Int64, fresh: String)?

    init(index: Int, seed: UInt64, sites: Int, homeSite: Int) {
        self.index = index
        id = "PT-" + String(repeating: "0", count: max(0, 6 - String(index + 1).count)) + String(index + 1)
        var g = SeededRandom.derived(seed: seed, stream: UInt64(index) &+ 1)
        indication = g.weighted([("spinal-cord-injury", 0.32), ("multiple-sclerosis", 0.28), ("cerebral-palsy", 0.22), ("brain-injury", 0.13), ("other", 0.05)])
        switch indication {
        case "spinal-cord-injury", "multiple-sclerosis": origin = "spinal"
        case "cerebral-palsy", "brain-injury": origin = "cerebral"
        default: origin = g.chance(0.5) ? "spinal" : "cerebral"
        }
        birthYear = g.int(1945...2012)
        let median = origin == "cerebral" ? 250.0 : 450.0
        let raw = median * exp(0.45 * g.normal())
        targetDose = (origin == "cerebral" ? min(900, max(60, raw)) : min(1500, max(90, raw))).rounded()
        baselineAshworth = g.int(3...5)
        baselinePenn = g.int(2...4)
        rng = g
        site = homeSite
        lastSeqBySite = Array(repeating: 0, count: sites)
    }

    /// The titration limit per 24 h for this patient's origin, kept just under the ledger's (30 % / 15 %).
    var maxStep: Double { origin == "cerebral" ? 0.14 : 0.28 }
    var isActive: Bool { phase == .titrating || phase == .maintenance }

    /// Delivery rate in mL/day at the programmed concentration.
    var rateMlPerDay: Double { dose / programmedConcentration }

    /// The modelled volume at `t`.
    func volume(at t: Int64) -> Double {
        max(0, volume - rateMlPerDay * Double(t - volumeAt) / 86_400)
    }

    /// Moves the model forward to `t`.
    mutating func advance(to t: Int64) {
        guard t > volumeAt else { return }
        volume = volume(at: t)
        volumeAt = t
    }

    /// Seconds from `t` until the reservoir reaches `level` mL (0 when already there).
    func secondsUntil(volume level: Double, from t: Int64) -> Int64 {
        let v = volume(at: t)
        guard v > level, rateMlPerDay > 0 else { return 0 }
        return Int64((v - level) / rateMlPerDay * 86_400)
    }

    /// An Ashworth score and Penn frequency that improve as the dose approaches the patient's target.
    mutating func scores() -> (ashworth: String, penn: Int) {
        let effect = isActive ? min(1.0, dose / max(targetDose, 1)) : 0
        let a = Double(baselineAshworth) - effect * rng.uniform(1.6...3.2) + rng.normal() * 0.4
        let p = Double(baselinePenn) - effect * rng.uniform(1.2...2.8) + rng.normal() * 0.4
        let ai = min(5, max(0, Int(a.rounded())))
        return (DataValidator.ashworthScores[ai], min(4, max(0, Int(p.rounded()))))
    }
}
