import TherapyLedgerCore

/// The flow of care: screening, implant, titration, moves and pump end of life.
extension HistoryGenerator {
    static let day: Int64 = 86_400
    static let hour: Int64 = 3600

    mutating func perform(_ task: ScheduledTask) {
        let i = task.patient, t = task.at
        if patients[i].phase == .explanted {
            if case .resolveAdverseEvent(let report) = task.kind { resolve(i, report: report, at: t) }
            return
        }
        if task.kind != .enrol && task.kind != .move { switchSiteIfReady(i, at: t) }
        switch task.kind {
        case .enrol: enrol(i, at: t)
        case .trial(let attempt): trial(i, attempt: attempt, at: t)
        case .implant: implant(i, at: t)
        case .titrate: titrate(i, at: t)
        case .refill(let generation, let late):
            if generation == patients[i].refillGeneration && patients[i].isActive { refill(i, at: t, late: late) }
        case .reprogramAfterMissedConcentration: reprogramAfterMissedConcentration(i, at: t)
        case .resolveAdverseEvent(let report): resolve(i, report: report, at: t)
        case .adverseEvent(let category):
            if patients[i].isActive { reportAdverseEvent(i, at: t, category: category) }
        case .catheterRevision:
            if patients[i].isActive {
                let tip = "T\(patients[i].rng.int(6...11))"
                record(i, .catheterRevised, at: t, ["catheterTip": .string(tip)])
            }
        case .replacePump: replacePump(i, at: t)
        case .explant:
            if patients[i].isActive {
                patients[i].advance(to: t)
                record(i, .pumpExplanted, at: t, [:])
                patients[i].phase = .explanted
                patients[i].refillGeneration += 1
            }
        case .move:
            let k = patients[i].site
            var to = patients[i].rng.int(0...(parameters.sites - 2))
            if to >= k { to += 1 }
            patients[i].pendingMove = to
        }
    }

    mutating func schedule(_ kind: TaskKind, _ i: Int, at t: Int64) {
        queue.schedule(kind, patient: i, at: t)
    }

    /// A clinic time `days` (a random amount in the range) after `t`.
    mutating func later(_ i: Int, _ t: Int64, days: ClosedRange<Double>) -> Int64 {
        let d = patients[i].rng.uniform(days)
        return clinicTime(t + Int64(d * 86_400), &patients[i].rng)
    }

    mutating func enrol(_ i: Int, at t: Int64) {
        let p = patients[i]
        record(i, .patientEnrolled, at: t, ["indication": .string(p.indication), "origin": .string(p.origin), "birthYear": .number(Double(p.birthYear))])
        recordAssessment(i, at: t + 600)
        if p.phase == .maintenance {
            enterPrevalent(i, at: t + 1200)
        } else {
            schedule(.trial(attempt: 1), i, at: later(i, t, days: 7...28))
        }
    }

    /// A patient already on therapy: their historical implant (back-dated) and a first refill today.
    mutating func enterPrevalent(_ i: Int, at t: Int64) {
        var g = patients[i].rng
        let age = g.uniform(0.2...6.9) * 365.25 * 86_400
        let implantAt = clinicTime(t - Int64(age), &g)
        let reservoir = g.chance(0.7) ? 40.0 : 20.0
        let dose = patients[i].targetDose
        let low = 2.0
        let conc = [500.0, 1000, 2000].first { (reservoir - low) / (dose / $0) >= 40 } ?? 2000
        patients[i].rng = g
        installPump(i, .pumpImplanted, at: implantAt, reservoir: reservoir, concentration: conc, dose: dose)
        patients[i].phase = .maintenance
        refill(i, at: t, late: false, entry: true)
    }

    mutating func trial(_ i: Int, attempt: Int, at t: Int64) {
        let bolus = [50.0, 75, 100][min(attempt, 3) - 1]
        let positive = patients[i].rng.chance([0.72, 0.6, 0.5][min(attempt, 3) - 1])
        let response = positive ? "positive" : (patients[i].rng.chance(0.7) ? "negative" : "equivocal")
        record(i, .trialPerformed, at: t, ["bolusMcg": .number(bolus), "response": .string(response)])
        if positive {
            patients[i].effectiveTrialMcg = bolus
            patients[i].phase = .awaitingImplant
            schedule(.implant, i, at: later(i, t, days: 14...56))
        } else if attempt < 3 {
            schedule(.trial(attempt: attempt + 1), i, at: later(i, t, days: 1...1.2))
        } else {
            patients[i].phase = .notCandidate
        }
    }

    mutating func implant(_ i: Int, at t: Int64) {
        guard patients[i].phase == .awaitingImplant else { return }
        var g = patients[i].rng
        let reservoir = g.chance(0.65) ? 40.0 : 20.0
        let conc = g.weighted([(500.0, 0.6), (1000.0, 0.25), (2000.0, 0.15)])
        patients[i].rng = g
        installPump(i, .pumpImplanted, at: t, reservoir: reservoir, concentration: conc, dose: 2 * patients[i].effectiveTrialMcg)
        patients[i].phase = .titrating
        if patients[i].rng.chance(0.3) {
            let priming = (patients[i].rng.uniform(0.1...0.2) * conc).rounded()
            bolus(i, at: t + 900, mcg: priming, kind: "priming")
        }
        if patients[i].rng.chance(0.05) { schedule(.adverseEvent(category: "csf-leak"), i, at: later(i, t, days: 2...10)) }
        if patients[i].rng.chance(0.03) { schedule(.adverseEvent(category: "infection"), i, at: later(i, t, days: 7...30)) }
        schedule(.titrate, i, at: later(i, t, days: 2...4))
        scheduleRefill(i, from: t)
    }

    /// Records an implant or replacement and resets the model to the new, full pump.
    mutating func installPump(_ i: Int, _ type: EventType, at t: Int64, reservoir: Double, concentration conc: Double, dose: Double) {
        var g = patients[i].rng
        var data: [String: JSONValue] = [
            "pumpModel": .string(reservoir == 40 ? "SynchroMed II 8637-40" : "SynchroMed II 8637-20"),
            "pumpSerial": .string("NGP\(g.int(100_000...999_999))"),
            "reservoirMl": .number(reservoir), "concentrationMcgPerMl": .number(conc), "fillMl": .number(reservoir),
            "dailyDoseMcg": .number(dose), "catheterTip": .string("T\(g.int(6...11))"),
        ]
        var low = 2.0
        if g.chance(0.3) {
            low = g.chance(0.5) ? 3.0 : 4.0
            data["lowAlarmMl"] = .number(low)
        }
        patients[i].rng = g
        record(i, type, at: t, data)
        patients[i].reservoirMl = reservoir
        patients[i].lowAlarmMl = low
        patients[i].reservoirConcentration = conc
        patients[i].programmedConcentration = conc
        patients[i].dose = dose
        patients[i].volume = reservoir
        patients[i].volumeAt = t
        patients[i].lastFillMl = reservoir
        patients[i].lastProgramAt = t
        let replaceAt = t + Int64(patients[i].rng.uniform(6.5...6.95) * 365.25 * 86_400)
        if replaceAt < endSeconds { schedule(.replacePump, i, at: clinicTime(replaceAt, &patients[i].rng)) }
    }

    mutating func titrate(_ i: Int, at t: Int64) {
        guard patients[i].phase == .titrating else { return }
        let p = patients[i]
        if t - p.lastProgramAt < 25 * Self.hour {
            schedule(.titrate, i, at: later(i, t, days: 2...3))
            return
        }
        guard p.targetDose > p.dose else {
            patients[i].phase = .maintenance
            return
        }
        let step = patients[i].rng.uniform((p.maxStep * 0.4)...p.maxStep)
        let next = min(p.targetDose, (p.dose * (1 + step)).rounded(.down))
        program(i, at: t, dose: next)
        if patients[i].rng.chance(0.4) { recordAssessment(i, at: t + 600) }
        if next >= p.targetDose {
            patients[i].phase = .maintenance
        } else {
            schedule(.titrate, i, at: later(i, t, days: 2...7))
        }
        refillBeforeLowAlarm(i, at: t)
    }

    /// Programs a new daily dose (at the concentration in the reservoir).
    mutating func program(_ i: Int, at t: Int64, dose: Double, site: Int? = nil) {
        patients[i].advance(to: t)
        record(i, .doseProgrammed, at: t, site: site, ["dailyDoseMcg": .number(dose)])
        patients[i].dose = dose
        patients[i].programmedConcentration = patients[i].reservoirConcentration
        patients[i].lastProgramAt = t
    }

    mutating func bolus(_ i: Int, at t: Int64, mcg: Double, kind: String) {
        patients[i].advance(to: t)
        record(i, .bolusDelivered, at: t, ["doseMcg": .number(mcg), "kind": .string(kind)])
        patients[i].volume = max(0, patients[i].volume - mcg / patients[i].programmedConcentration)
    }

    mutating func replacePump(_ i: Int, at t: Int64) {
        guard patients[i].isActive else { return }
        let p = patients[i]
        patients[i].advance(to: t)
        // The interrogation that led to the replacement reported the elective replacement indicator.
        record(i, .pumpInterrogated, at: t - Self.hour, ["finding": .string("elective-replacement-indicator")])
        installPump(i, .pumpReplaced, at: t, reservoir: p.reservoirMl, concentration: p.reservoirConcentration, dose: p.dose)
        scheduleRefill(i, from: t)
    }

    /// Moves the patient to the site they are moving to once it holds their whole history. The new site
    /// confirms the program; sometimes the old site, not yet aware, records one too (concurrently).
    mutating func switchSiteIfReady(_ i: Int, at t: Int64) {
        if let c = patients[i].openConflict, knows[patients[i].site][c.site] >= c.seq {
            patients[i].openConflict = nil
            record(i, .conflictResolved, at: t, reason: "reviewed after the transfer: the program confirmed at \(siteNames[patients[i].site]) is in force",
                   ["events": .array([.string(c.stale), .string(c.fresh)])])
        }
        guard let to = patients[i].pendingMove, siteKnowsAll(to, of: i) else { return }
        let from = patients[i].site
        patients[i].site = to
        patients[i].pendingMove = nil
        summary.moves += 1
        guard patients[i].isActive, patients[i].dose > 0 else { return }
        let dose = patients[i].dose
        if patients[i].rng.chance(0.5) {
            let stale = record(i, .doseProgrammed, at: t - 2 * Self.hour, site: from, ["dailyDoseMcg": .number(dose)])
            let fresh = record(i, .doseProgrammed, at: t, ["dailyDoseMcg": .number(dose)])
            summary.concurrentProgrammings += 1
            if patients[i].rng.chance(0.5) {
                patients[i].openConflict = (stale, from, patients[i].lastSeqBySite[from], fresh)
            }
        } else {
            record(i, .doseProgrammed, at: t, ["dailyDoseMcg": .number(dose)])
        }
        patients[i].lastProgramAt = t
    }
}
