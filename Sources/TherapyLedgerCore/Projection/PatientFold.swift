/// Folds a patient's effective events (see ``EffectiveEvents``) into a ``PatientProjection``.
///
/// Pure and deterministic: the same events give the same projection whatever order they arrived in.
/// The reservoir model (domain.md, "Numbers this project uses"): the volume falls linearly between
/// events at the rate in force (dose / the concentration the pump was told); a bolus takes
/// dose / concentration at once; a refill sets it to the amount added; it never goes below 0.
public enum PatientFold {
    /// A refill that changes the concentration should be followed within this many seconds by a programming
    /// that tells the pump (and a bridge bolus); a programming this long before the refill also counts. Until a
    /// programming, the pump moves volume at the concentration it was last told: the fold never looks ahead.
    public static let confirmationWindow: Int64 = 3600
    /// Titration limit per 24 h: 30 % for spinal origin, 15 % for cerebral.
    public static func stepLimit(origin: String?) -> Double { origin == "cerebral" ? 0.15 : 0.30 }

    /// Folds `effective` (clinical order) up to and including `asOf` (nil: every event).
    public static func fold(patient: String, effective: [ProjectionEvent], asOf: Timestamp?) -> PatientProjection {
        var p = PatientProjection(patient: patient)
        var doseHistory: [(at: Timestamp, dose: Double)] = []
        // Resolutions dated before their report (back-dated entries) wait for it instead of being lost.
        var earlyResolutions: [String: ProjectionEvent] = [:]
        let events = effective
        var i = 0
        while i < events.count {
            let e = events[i]
            if let asOf, e.occurredAt > asOf { break }
            advance(&p, to: e.occurredAt)
            apply(e, index: i, events: events, to: &p, doseHistory: &doseHistory)
            if e.type == .adverseEventResolved, let ref = e.facts.ref, !p.adverseEvents.contains(where: { $0.eventID == ref }) {
                earlyResolutions[ref] = e
            }
            if e.type == .adverseEventReported, let r = earlyResolutions.removeValue(forKey: e.id) {
                apply(r, index: i, events: events, to: &p, doseHistory: &doseHistory)
            }
            p.lastEventAt = e.occurredAt
            i += 1
        }
        return p
    }

    /// Moves the reservoir anchor forward to `t`, recording when it crossed the low-alarm volume and 0.
    static func advance(_ p: inout PatientProjection, to t: Timestamp) {
        guard var r = p.reservoir, let dose = p.dose, let pump = p.pump, t > r.at else { return }
        let rate = dose.rateMlPerDay
        let start = Double(r.at.seconds)
        let seconds = Double(t.seconds - r.at.seconds)
        fall(&r.volumeMl, low: &r.lowReachedAt, empty: &r.emptyReachedAt, from: start, seconds: seconds, rate: rate, lowAlarm: pump.lowAlarmMl)
        r.programmedSinceFillMl += rate * seconds / 86_400
        if var o = r.observed {
            fall(&o.volumeMl, low: &o.lowReachedAt, empty: &o.emptyReachedAt, from: start, seconds: seconds, rate: rate * o.ratio, lowAlarm: pump.lowAlarmMl)
            r.observed = o
        }
        r.at = t
        p.reservoir = r
    }

    /// Lets `volume` fall for `seconds` at `rate` mL/day from `start` (seconds), recording when it crossed the low-alarm volume and 0.
    static func fall(_ volume: inout Double, low: inout Double?, empty: inout Double?, from start: Double, seconds: Double, rate: Double, lowAlarm: Double) {
        let v0 = volume
        let v1 = max(0, v0 - rate * seconds / 86_400)
        if v0 > lowAlarm, v1 <= lowAlarm { low = start + (v0 - lowAlarm) / rate * 86_400 }
        if v0 > 0, v1 <= 0 { empty = start + v0 / rate * 86_400 }
        volume = v1
    }

    /// Sets `volume` to `v` at `t` (a bolus or a fill), keeping when it crossed the low-alarm volume and 0.
    static func set(_ volume: inout Double, low: inout Double?, empty: inout Double?, to v: Double, at t: Timestamp, lowAlarm: Double) {
        let before = volume
        volume = max(0, v)
        if volume > lowAlarm { low = nil } else if before > lowAlarm || low == nil { low = Double(t.seconds) }
        if volume > 0 { empty = nil } else if before > 0 || empty == nil { empty = Double(t.seconds) }
    }

    static func setVolume(_ p: inout PatientProjection, _ v: Double, at t: Timestamp) {
        guard var r = p.reservoir, let pump = p.pump else { return }
        set(&r.volumeMl, low: &r.lowReachedAt, empty: &r.emptyReachedAt, to: v, at: t, lowAlarm: pump.lowAlarmMl)
        p.reservoir = r
    }

    /// Sets the observed track's volume (nil track: nothing).
    static func setObserved(_ p: inout PatientProjection, _ v: Double, at t: Timestamp) {
        guard var r = p.reservoir, var o = r.observed, let pump = p.pump else { return }
        set(&o.volumeMl, low: &o.lowReachedAt, empty: &o.emptyReachedAt, to: v, at: t, lowAlarm: pump.lowAlarmMl)
        r.observed = o
        p.reservoir = r
    }

    /// A catheter revision or pump replacement closes the delivery problems reported before it, and an open under-delivery.
    static func deviceFixed(_ p: inout PatientProjection, by e: ProjectionEvent) {
        for k in p.adverseEvents.indices where p.adverseEvents[k].isDeliveryProblem && p.adverseEvents[k].resolvedAt == nil && p.adverseEvents[k].deviceFixedAt == nil {
            p.adverseEvents[k].deviceFixedAt = e.occurredAt
            p.adverseEvents[k].deviceFixEventID = e.id
        }
        p.openUnderDelivery = nil
    }

    static func apply(_ e: ProjectionEvent, index: Int, events: [ProjectionEvent], to p: inout PatientProjection,
                      doseHistory: inout [(at: Timestamp, dose: Double)]) {
        let f = e.facts
        switch e.type {
        case .patientEnrolled:
            p.indication = f.label
            p.origin = f.label2
        case .pumpImplanted, .pumpReplaced:
            guard let reservoir = f.reservoirMl, let conc = f.concentrationMcgPerMl, let fill = f.volumeMl, let dose = f.dailyDoseMcg else { return }
            let replacing = p.therapy == .active
            // A replacement without its own low-alarm volume keeps the patient's setting (PubMed 15271246: a 4 mL
            // alarm prevented withdrawal that a 2 mL one did not); a first implant takes the model's default.
            let lowAlarm = f.lowAlarmMl ?? (replacing ? p.pump?.lowAlarmMl : nil) ?? DeviceCatalogue.defaultLowAlarmMl(for: f.label2)
            // A replacement's starting dose is checked against the dose the outgoing pump delivered.
            var step: LargeDoseStep?
            if replacing, let old = p.dose?.dailyDoseMcg {
                checkStep(&p, e, newDose: dose, current: old, history: doseHistory)
                step = p.largeDoseStep?.eventID == e.id ? p.largeDoseStep : nil
            }
            endPump(&p, at: e.occurredAt, reason: replacing ? "replaced" : nil)
            p.therapy = .active
            if replacing { deviceFixed(&p, by: e) }
            p.pump = PumpState(eventID: e.id, implantedAt: e.occurredAt, model: f.label2, reservoirMl: reservoir, lowAlarmMl: lowAlarm)
            p.pumps.append(PumpPeriod(eventID: e.id, model: f.label2, reservoirMl: reservoir, implantedAt: e.occurredAt, lowAlarmMl: lowAlarm, site: e.site))
            p.dose = DoseState(dailyDoseMcg: dose, programmedConcentration: conc, reservoirConcentration: conc, mode: "simple-continuous",
                               since: e.occurredAt, eventID: e.id)
            p.reservoir = ReservoirAnchor(at: e.occurredAt, volumeMl: 0, lowReachedAt: nil, emptyReachedAt: nil,
                                          lastFillAt: e.occurredAt, lastFillMl: fill, lastFillEventID: e.id)
            setVolume(&p, fill, at: e.occurredAt)
            p.lastRefillAt = nil
            p.lastRefillEventID = nil
            p.nextRefillDue = nil
            p.pendingConcentrationChange = nil
            p.pendingBridge = nil
            p.interrogation = InterrogationState()
            p.explant = nil
            p.largeDoseStep = step
            doseHistory = [(e.occurredAt, dose)]
            startDosePeriod(&p, e)
        case .doseProgrammed:
            guard p.therapy == .active, var d = p.dose, let dose = f.dailyDoseMcg else { return }
            checkStep(&p, e, newDose: dose, current: d.dailyDoseMcg, history: doseHistory)
            let changed = dose != d.dailyDoseMcg || d.programmedConcentration != d.reservoirConcentration || (f.label ?? "simple-continuous") != d.mode
            d.dailyDoseMcg = dose
            d.programmedConcentration = d.reservoirConcentration
            d.mode = f.label ?? "simple-continuous"
            d.since = e.occurredAt
            d.eventID = e.id
            p.dose = d
            p.pendingConcentrationChange = nil
            if let low = f.lowAlarmMl, var pump = p.pump {
                pump.lowAlarmMl = low
                p.pump = pump
                if let v = p.reservoir?.volumeMl { setVolume(&p, v, at: e.occurredAt) }
            }
            doseHistory.append((e.occurredAt, dose))
            if changed { startDosePeriod(&p, e) }
        case .bolusDelivered:
            guard p.therapy == .active, let d = p.dose, var r = p.reservoir, let bolus = f.bolusMcg else { return }
            let ml = bolus / d.programmedConcentration
            r.bolusesSinceFillMl += ml
            p.reservoir = r
            setVolume(&p, r.volumeMl - ml, at: e.occurredAt)
            if let o = r.observed { setObserved(&p, o.volumeMl - ml, at: e.occurredAt) }
            if f.label == "bridge" { p.pendingBridge = nil }
        case .reservoirRefilled:
            guard p.therapy == .active, var d = p.dose, var r = p.reservoir, let added = f.volumeMl, let conc = f.concentrationMcgPerMl,
                  let measured = f.residualMl else { return }
            let expected = r.volumeMl
            let shouldHaveDelivered = r.lastFillMl - expected
            let discrepancy = measured - expected
            let pct: Double? = shouldHaveDelivered > 0 ? discrepancy / shouldHaveDelivered * 100 : nil
            let flagged = abs(discrepancy) > RefillExpectation.thresholdMl(shouldHaveDeliveredMl: shouldHaveDelivered)
            let ratio: Double? = r.programmedSinceFillMl > 0 ? (r.lastFillMl - r.bolusesSinceFillMl - measured) / r.programmedSinceFillMl : nil
            // A residual that reads 0.00 mL (the output's precision) is a dry reservoir.
            let expectedDry = Rounding.volume(expected) == 0
            let ranDry = expectedDry || Rounding.volume(measured) == 0
            let dryFrom: Timestamp? = expectedDry ? r.emptyReachedAt.map { Timestamp(clampingSeconds: $0) } ?? e.occurredAt : nil
            let record = RefillRecord(eventID: e.id, at: e.occurredAt, site: e.site, expectedResidualMl: expected,
                                      measuredResidualMl: measured, discrepancyMl: discrepancy, discrepancyPct: pct, flagged: flagged,
                                      addedMl: added, concentrationMcgPerMl: conc, nextRefillDue: f.nextRefillDue, previousFillAt: r.lastFillAt,
                                      observedRatio: ratio, ranDry: ranDry, dryFrom: dryFrom)
            p.refills.append(record)
            if record.isUnderDelivery { p.openUnderDelivery = record } else if !flagged { p.openUnderDelivery = nil }
            r.lastFillAt = e.occurredAt
            r.lastFillMl = added
            r.lastFillEventID = e.id
            r.programmedSinceFillMl = 0
            r.bolusesSinceFillMl = 0
            r.observed = nil
            if record.isOverInfusion, let ratio, ratio > 0 {
                r.observed = ObservedTrack(ratio: ratio, volumeMl: 0, lowReachedAt: nil, emptyReachedAt: nil)
            }
            p.reservoir = r
            setVolume(&p, added, at: e.occurredAt)
            setObserved(&p, added, at: e.occurredAt)
            p.interrogation.lowReservoirAlarm = nil
            p.lastRefillAt = e.occurredAt
            p.lastRefillEventID = e.id
            p.nextRefillDue = f.nextRefillDue
            let previous = d.reservoirConcentration
            d.reservoirConcentration = conc
            if conc != previous { p.pendingBridge = PendingBridge(refillEventID: e.id, at: e.occurredAt) }
            if conc != d.programmedConcentration {
                if conc != previous, programmedJustBefore(index: index, events: events) {
                    d.programmedConcentration = conc
                    p.pendingConcentrationChange = nil
                    p.dose = d
                    startDosePeriod(&p, e)
                } else {
                    p.dose = d
                    if p.pendingConcentrationChange == nil || conc != previous {
                        p.pendingConcentrationChange = PendingConcentrationChange(refillEventID: e.id, at: e.occurredAt,
                                                                                  programmed: d.programmedConcentration, reservoir: conc)
                    }
                }
            } else {
                p.dose = d
                p.pendingConcentrationChange = nil
            }
        case .pumpExplanted:
            guard p.therapy == .active else { return }
            endPump(&p, at: e.occurredAt, reason: "explanted")
            p.therapy = .explanted
            p.explant = EventMark(eventID: e.id, at: e.occurredAt)
            p.openUnderDelivery = nil
            p.pendingBridge = nil
            p.interrogation = InterrogationState()
            p.pump = nil
            p.dose = nil
            p.reservoir = nil
            p.lastRefillAt = nil
            p.lastRefillEventID = nil
            p.nextRefillDue = nil
            p.pendingConcentrationChange = nil
            p.largeDoseStep = nil
        case .adverseEventReported:
            p.adverseEvents.append(AdverseEventRecord(eventID: e.id, reportedAt: e.occurredAt, category: f.label ?? "other", grade: f.grade ?? 1,
                                                      serious: f.serious ?? false, relatedTo: f.label2))
        case .adverseEventResolved:
            if let ref = f.ref, let k = p.adverseEvents.firstIndex(where: { $0.eventID == ref }) {
                p.adverseEvents[k].resolvedAt = e.occurredAt
                p.adverseEvents[k].outcome = f.label
                p.adverseEvents[k].resolutionEventID = e.id
            }
        case .assessmentRecorded:
            p.assessments.append(AssessmentRecord(eventID: e.id, at: e.occurredAt, ashworth: f.label, pennSpasmFrequency: f.label2,
                                                  dailyDoseMcg: p.therapy == .active ? p.dose?.dailyDoseMcg : nil))
        case .catheterRevised:
            deviceFixed(&p, by: e)
        case .pumpInterrogated:
            guard p.therapy == .active else { return }
            let mark = EventMark(eventID: e.id, at: e.occurredAt)
            switch f.label {
            case "elective-replacement-indicator": if p.interrogation.eri == nil { p.interrogation.eri = mark }
            case "end-of-service": if p.interrogation.endOfService == nil { p.interrogation.endOfService = mark }
            case "motor-stall", "critical-alarm":
                p.interrogation.deliveryFault = mark
                p.interrogation.deliveryFaultFinding = f.label
            case "low-reservoir-alarm":
                p.interrogation.lowReservoirAlarm = mark
                p.interrogation.lowReservoirAlarmProjectedMl = p.reservoir?.volumeMl
            case "no-alarm":
                p.interrogation.deliveryFault = nil
                p.interrogation.deliveryFaultFinding = nil
                p.interrogation.lowReservoirAlarm = nil
            default: break
            }
        case .alertAcknowledged:
            if let code = f.label {
                p.acknowledgements.append(AcknowledgementRecord(eventID: e.id, at: e.occurredAt, by: e.author, code: code, eventIDs: f.refs,
                                                                until: f.nextRefillDue))
            }
        case .trialPerformed, .eventCorrected, .conflictResolved:
            break
        }
    }

    /// Whether a dose.programmed lies within the confirmation window before the refill at `index` (after the previous
    /// fill). Only earlier events count: a programming after the refill tells the pump from its own time on.
    static func programmedJustBefore(index: Int, events: [ProjectionEvent]) -> Bool {
        let t = events[index].occurredAt.seconds
        var j = index - 1
        while j >= 0, events[j].occurredAt.seconds >= t - confirmationWindow {
            if events[j].type == .doseProgrammed { return true }
            if events[j].type == .reservoirRefilled || events[j].type == .pumpImplanted || events[j].type == .pumpReplaced { break }
            j -= 1
        }
        return false
    }

    static func checkStep(_ p: inout PatientProjection, _ e: ProjectionEvent, newDose: Double, current: Double,
                          history: [(at: Timestamp, dose: Double)]) {
        guard newDose > current else { return }
        let dayAgo = e.occurredAt.adding(seconds: -86_400)
        if let pump = p.pump, e.occurredAt.seconds - pump.implantedAt.seconds < 86_400 {
            p.largeDoseStep = LargeDoseStep(eventID: e.id, at: e.occurredAt, fromMcg: current, toMcg: newDose, withinDayOfImplant: true,
                                            limitPct: 0)
            return
        }
        // The lowest dose in force at any moment of the past 24 hours.
        var baseline = current
        for (k, h) in history.enumerated().reversed() {
            let nextStart = k + 1 < history.count ? history[k + 1].at : e.occurredAt
            if nextStart <= dayAgo { break }
            baseline = min(baseline, h.dose)
        }
        let limit = stepLimit(origin: p.origin)
        if baseline > 0, (newDose - baseline) / baseline > limit + 1e-12 {
            p.largeDoseStep = LargeDoseStep(eventID: e.id, at: e.occurredAt, fromMcg: baseline, toMcg: newDose, withinDayOfImplant: false,
                                            limitPct: limit * 100)
        }
    }

    static func endPump(_ p: inout PatientProjection, at t: Timestamp, reason: String?) {
        if let k = p.pumps.indices.last, p.pumps[k].endedAt == nil, let reason {
            p.pumps[k].endedAt = t
            p.pumps[k].endReason = reason
        }
        if let k = p.dosePeriods.indices.last, p.dosePeriods[k].to == nil {
            p.dosePeriods[k].to = t
        }
    }

    static func startDosePeriod(_ p: inout PatientProjection, _ e: ProjectionEvent) {
        guard let d = p.dose else { return }
        if let k = p.dosePeriods.indices.last, p.dosePeriods[k].to == nil {
            p.dosePeriods[k].to = e.occurredAt
        }
        p.dosePeriods.append(DosePeriod(from: e.occurredAt, to: nil, dailyDoseMcg: d.dailyDoseMcg, concentrationMcgPerMl: d.programmedConcentration,
                                        mode: d.mode, site: e.site, author: e.author, eventID: e.id))
    }
}
