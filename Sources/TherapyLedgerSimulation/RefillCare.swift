import TherapyLedgerCore

/// Refills, maintenance programming, assessments, adverse events and corrections.
extension HistoryGenerator {
    /// Plans the next refill from the model after a fill at `t`: before the low alarm (at 65-93 % of the
    /// time to it, 4-12 weeks when the rate allows, never past 175 days); rarely late, after the reservoir
    /// ran dry. Returns the due date to record.
    @discardableResult
    mutating func scheduleRefill(i: Int, from t: Int64) -> Int64 {
        let p = patients[i]
        let toLow = Double(p.secondsUntil(volume: p.lowAlarmMl, from: t)) / 86_400
        let toEmpty = Double(p.secondsUntil(volume: 0, from: t)) / 86_400
        var days = toLow * patients[i].rng.uniform(0.65...0.93)
        if toLow * 0.93 >= 28 { days = max(28, days) }
        days = max(1, min(days, 84 - patients[i].rng.uniform(0...3), 175))
        let due = clinicTime(t + Int64(days * 86_400), &patients[i].rng)
        var visit = due
        let late = patients[i].rng.chance(0.012) && toEmpty < 170
        if late { visit = clinicTime(t + Int64((toEmpty + patients[i].rng.uniform(1...4)) * 86_400), &patients[i].rng) }
        patients[i].refillGeneration += 1
        patients[i].scheduledRefillAt = visit
        schedule(.refill(generation: patients[i].refillGeneration, late: late), i, at: visit)
        return due
    }

    mutating func scheduleRefill(_ i: Int, from t: Int64) { scheduleRefill(i: i, from: t) }

    /// Brings the planned refill forward when a dose change makes the low alarm come first.
    mutating func refillBeforeLowAlarm(_ i: Int, at t: Int64) {
        let p = patients[i]
        let lowAt = t + p.secondsUntil(volume: p.lowAlarmMl, from: t)
        guard p.scheduledRefillAt > lowAt - 2 * Self.day else { return }
        let earliest = t + Self.day
        let target = max(earliest, lowAt - Int64(patients[i].rng.uniform(2...6) * 86_400))
        patients[i].refillGeneration += 1
        patients[i].scheduledRefillAt = clinicTime(target, &patients[i].rng)
        schedule(.refill(generation: patients[i].refillGeneration, late: false), i, at: patients[i].scheduledRefillAt)
    }

    /// A refill visit: aspirate and measure the residual, fill, maybe change concentration (then reprogram
    /// within the hour and give a bridge bolus) or the dose, assess, and plan the next refill.
    mutating func refill(_ i: Int, at t: Int64, late: Bool, entry: Bool = false) {
        patients[i].advance(to: t)
        var g = patients[i].rng
        let p = patients[i]
        let expected = p.volume
        let delivered = max(0, p.lastFillMl - expected)
        var measured = expected
        var discrepancy = 0
        if !entry && !late {
            measured += g.normal() * 0.012 * delivered
            if g.chance(0.025) {
                discrepancy = g.chance(0.6) ? 1 : -1
                measured += Double(discrepancy) * max(1.5, g.uniform(0.2...0.4) * delivered)
            }
        }
        measured = (min(p.reservoirMl, max(0, measured)) * 10).rounded() / 10
        let flagged = abs(measured - expected) > max(1.0, 0.145 * delivered)
        // Maintenance dose change (at most one increase per 24 h, within the origin's step limit).
        var newDose = p.dose
        if !entry && p.phase == .maintenance && g.chance(0.2) {
            let range: ClosedRange<Double> = p.origin == "cerebral" ? 22...1400 : 12...2000
            let up = g.chance(0.55) && t - p.lastProgramAt >= 25 * Self.hour
            let factor = up ? g.uniform(1.05...(p.origin == "cerebral" ? 1.14 : 1.2)) : g.uniform(0.8...0.9)
            let d = up ? (p.dose * factor).rounded(.down) : (p.dose * factor).rounded()
            if range.contains(d) { newDose = d }
        }
        var conc = p.reservoirConcentration
        while conc < 2000 && (p.reservoirMl - p.lowAlarmMl) / (newDose / conc) < 35 { conc = conc == 500 ? 1000 : 2000 }
        let added = g.chance(0.8) ? p.reservoirMl : (p.reservoirMl * g.uniform(0.6...0.9)).rounded()
        let lot: String? = g.chance(0.3) ? "L\(g.int(10_000...99_999))" : nil
        patients[i].rng = g
        patients[i].volume = added
        patients[i].lastFillMl = added
        let changesConcentration = conc != p.programmedConcentration
        patients[i].reservoirConcentration = conc
        var lastAt = t
        if changesConcentration {
            if entry || patients[i].rng.chance(0.95) {
                lastAt = t + Int64(patients[i].rng.int(2...8)) * 300
                program(i, at: lastAt, dose: newDose)
                lastAt += 600
                bolus(i, at: lastAt, mcg: (patients[i].rng.uniform(0.15...0.25) * conc).rounded(), kind: "bridge")
            } else {
                schedule(.reprogramAfterMissedConcentration, i, at: later(i, t, days: 1...3))
            }
        } else if newDose != p.dose {
            lastAt = t + 900
            program(i, at: lastAt, dose: newDose)
        }
        let due = scheduleRefill(i: i, from: lastAt)
        var data: [String: JSONValue] = [
            "residualMl": .number(measured), "addedMl": .number(added), "concentrationMcgPerMl": .number(conc),
            "nextRefillDue": .string(Timestamp(seconds: due).dateString),
        ]
        if let lot { data["lot"] = .string(lot) }
        record(i, .reservoirRefilled, at: t, data)
        if entry { return }
        if patients[i].rng.chance(0.45) { recordAssessment(i, at: t + 300) }
        if patients[i].rng.chance(0.03) { bolus(i, at: lastAt + 1200, mcg: patients[i].rng.weighted([(50.0, 0.5), (75.0, 0.3), (100.0, 0.2)]), kind: "single") }
        if late {
            reportAdverseEvent(i, at: t, category: "withdrawal")
        } else if flagged && discrepancy > 0 && patients[i].rng.chance(0.5) {
            reportAdverseEvent(i, at: t + 1800, category: "catheter-malfunction")
            if patients[i].rng.chance(0.6) { schedule(.catheterRevision, i, at: later(i, t, days: 3...14)) }
        } else if flagged && discrepancy < 0 && patients[i].rng.chance(0.4) {
            reportAdverseEvent(i, at: t + 1800, category: patients[i].rng.chance(0.5) ? "overdose" : "pump-malfunction")
        } else if patients[i].rng.chance(0.03) {
            let category = patients[i].rng.weighted([("other", 0.45), ("infection", 0.15), ("catheter-malfunction", 0.15), ("overdose", 0.1), ("withdrawal", 0.1), ("pump-malfunction", 0.05)])
            reportAdverseEvent(i, at: t + 1800, category: category)
        }
        refillBeforeLowAlarm(i, at: lastAt)
    }

    /// The follow-up to a refill that changed the concentration without telling the pump.
    mutating func reprogramAfterMissedConcentration(_ i: Int, at t: Int64) {
        let p = patients[i]
        guard p.isActive, p.programmedConcentration != p.reservoirConcentration else { return }
        if p.reservoirConcentration > p.programmedConcentration { reportAdverseEvent(i, at: t, category: "overdose") }
        program(i, at: t + 1800, dose: p.dose)
        refillBeforeLowAlarm(i, at: t + 1800)
    }

    mutating func recordAssessment(_ i: Int, at t: Int64) {
        let (ashworth, penn) = patients[i].scores()
        let id = record(i, .assessmentRecorded, at: t, ["ashworth": .string(ashworth), "pennSpasmFrequency": .number(Double(penn))])
        let r = patients[i].rng.unit()
        if r < 0.025 {
            let scores = DataValidator.ashworthScores.filter { $0 != ashworth }
            let fixed = scores[patients[i].rng.int(0...(scores.count - 1))]
            record(i, .eventCorrected, at: t + Int64(patients[i].rng.int(1...5)) * Self.hour,
                   reason: "transcription error: the Ashworth score was \(fixed), not \(ashworth)",
                   ["target": .string(id), "action": .string("amend"),
                    "data": .object(["ashworth": .string(fixed), "pennSpasmFrequency": .number(Double(penn))])])
        } else if r < 0.035 {
            record(i, .eventCorrected, at: t + Int64(patients[i].rng.int(1...3)) * Self.hour,
                   reason: "duplicate entry: the same assessment was recorded twice", ["target": .string(id), "action": .string("void")])
        }
    }

    /// Reports an adverse event; most resolve later, some grades are revised on review.
    mutating func reportAdverseEvent(_ i: Int, at t: Int64, category: String) {
        var g = patients[i].rng
        var grade = g.weighted([(1, 0.35), (2, 0.37), (3, 0.22), (4, 0.06)])
        if category == "withdrawal" || category == "infection" { grade = max(grade, 2) }
        let related: String
        switch category {
        case "withdrawal", "overdose": related = "drug"
        case "catheter-malfunction", "pump-malfunction": related = "device"
        case "infection", "csf-leak": related = "procedure"
        default: related = g.chance(0.5) ? "unknown" : "drug"
        }
        let serious = grade >= 3 || g.chance(0.1)
        patients[i].rng = g
        let data: [String: JSONValue] = ["category": .string(category), "grade": .number(Double(grade)), "serious": .bool(serious), "relatedTo": .string(related)]
        let id = record(i, .adverseEventReported, at: t, data)
        if AdverseEventRecord.deliveryCategories.contains(category) {
            // The clinician on call acknowledges the delivery-problem alert for two days while the check is arranged.
            record(i, .alertAcknowledged, at: t + Self.hour, reason: "reviewed: pump and catheter check booked",
                   ["code": .string("delivery-problem"), "events": .array([.string(id)]), "until": .string(Timestamp(seconds: t + 2 * Self.day).iso8601)])
        }
        if patients[i].rng.chance(0.05) {
            var amended = data
            let revised = grade == 1 ? 2 : grade - 1
            amended["grade"] = .number(Double(revised))
            amended["serious"] = .bool(serious || revised >= 3)
            record(i, .eventCorrected, at: t + 3 * Self.hour, reason: "grade revised on physician review (was \(grade), is \(revised))",
                   ["target": .string(id), "action": .string("amend"), "data": .object(amended)])
        }
        if patients[i].rng.chance(0.88) {
            schedule(.resolveAdverseEvent(report: id), i, at: later(i, t, days: 3...45))
        }
        if category == "infection" && grade >= 3 && patients[i].rng.chance(0.5) {
            schedule(.explant, i, at: later(i, t, days: 2...10))
        }
    }

    mutating func resolve(_ i: Int, report: String, at t: Int64) {
        let outcome = patients[i].rng.weighted([("recovered", 0.88), ("recovered-with-sequelae", 0.1), ("unknown", 0.02)])
        record(i, .adverseEventResolved, at: t, ["report": .string(report), "outcome": .string(outcome)])
    }
}
