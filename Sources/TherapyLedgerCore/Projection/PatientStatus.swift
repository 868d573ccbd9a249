/// A patient's state at one instant: therapy, dose, reservoir and open alerts. Derived from a
/// ``PatientProjection`` folded up to that instant, extrapolating the reservoir to it.
public struct PatientStatus: Sendable, Hashable {
    public var patient: String
    public var asOf: Timestamp
    public var knownAt: Timestamp?
    public var therapy: TherapyState
    public var origin: String?
    public var indication: String?
    public var pump: PumpState?
    public var dose: DoseState?
    public var volumeMl: Double?
    public var lowAlarmAt: Timestamp?
    public var emptyAt: Timestamp?
    public var lastRefillAt: Timestamp?
    public var nextRefillDue: Timestamp?
    public var lastRefill: RefillRecord?
    /// After a refill that showed over-infusion: the rate observed over that fill interval (the programmed rate in force
    /// times the observed ratio) and the low-alarm and empty times projected at it from the refill on; nil otherwise.
    public var observedRateMlPerDay: Double?
    public var observedLowAlarmAt: Timestamp?
    public var observedEmptyAt: Timestamp?
    public var alerts: [Alert]
    public var conflicts: [ConflictRecord]

    /// Years after implant from which a pump's battery is flagged (warning), and when it is critical.
    public static let endOfLifeWarningYears = 6.5
    public static let endOfLifeCriticalYears = 7.0
    /// Longest a fill may stay in a pump (drug stability), in days.
    public static let maxRefillIntervalDays = 180.0
    /// How long a large dose step stays flagged while that dose is in force, in days.
    public static let doseStepAlertDays = 7.0
    /// How long `reservoir-ran-dry` stays shown after the refill that found it, in days.
    public static let ranDryAlertDays = 14.0
    /// How long `explant-withdrawal-watch` stays shown after an explant, in days.
    public static let explantWatchDays = 7.0
    /// How long after a concentration-changing refill a bridge bolus is still awaited (seconds), and when the alert closes.
    public static let bridgeBolusWindow: Int64 = 3600
    public static let bridgeBolusAlertEnd: Int64 = 86_400

    /// The earlier of the programmed and the observed empty times (nil when neither).
    public var earliestEmptyAt: Timestamp? { [emptyAt, observedEmptyAt].compactMap { $0 }.min() }
    /// The earlier of the programmed and the observed low-alarm times (nil when neither).
    public var earliestLowAlarmAt: Timestamp? { [lowAlarmAt, observedLowAlarmAt].compactMap { $0 }.min() }

    /// Evaluates `projection` (folded up to `asOf`) at `asOf`.
    public init(projection p: PatientProjection, conflicts: [ConflictRecord], asOf: Timestamp, knownAt: Timestamp?) {
        patient = p.patient
        self.asOf = asOf
        self.knownAt = knownAt
        therapy = p.therapy
        origin = p.origin
        indication = p.indication
        pump = p.pump
        dose = p.dose
        lastRefillAt = p.lastRefillAt
        nextRefillDue = p.nextRefillDue
        lastRefill = p.refills.last.flatMap { r in p.lastRefillEventID == r.eventID ? r : nil }
        self.conflicts = conflicts
        var alerts: [Alert] = []

        if p.therapy == .active, let r = p.reservoir, let d = p.dose, let pump = p.pump {
            let rate = d.rateMlPerDay
            let dt = Double(asOf.seconds - r.at.seconds)
            let v = max(0, r.volumeMl - rate * max(0, dt) / 86_400)
            volumeMl = v
            let anchor = Double(r.at.seconds)
            let lowAt: Double = r.volumeMl > pump.lowAlarmMl ? anchor + (r.volumeMl - pump.lowAlarmMl) / rate * 86_400 : (r.lowReachedAt ?? anchor)
            let emptyAtD: Double = r.volumeMl > 0 ? anchor + r.volumeMl / rate * 86_400 : (r.emptyReachedAt ?? anchor)
            lowAlarmAt = Timestamp(clampingSeconds: lowAt)
            emptyAt = Timestamp(clampingSeconds: emptyAtD)
            let fillEvent = r.lastFillEventID

            if let emptyAt, emptyAt <= asOf {
                alerts.append(Alert(code: "reservoir-empty", severity: .critical, eventIDs: [fillEvent],
                                    message: "the reservoir is projected empty since \(emptyAt.iso8601): no drug is delivered, risk of baclofen withdrawal; refill now", raisedAt: emptyAt))
            } else if let lowAlarmAt, lowAlarmAt <= asOf {
                alerts.append(Alert(code: "reservoir-low", severity: .warning, eventIDs: [fillEvent],
                                    message: "the reservoir is at or below its low-alarm volume (\(fmtVol(pump.lowAlarmMl)) mL) since \(lowAlarmAt.iso8601); projected empty at \(emptyAt?.iso8601 ?? "?"): schedule a refill", raisedAt: lowAlarmAt))
            }
            if let o = r.observed, let refill = lastRefill, refill.isOverInfusion {
                let observedRate = rate * o.ratio
                observedRateMlPerDay = observedRate
                let oLow: Double = o.volumeMl > pump.lowAlarmMl ? anchor + (o.volumeMl - pump.lowAlarmMl) / observedRate * 86_400 : (o.lowReachedAt ?? anchor)
                let oEmpty: Double = o.volumeMl > 0 ? anchor + o.volumeMl / observedRate * 86_400 : (o.emptyReachedAt ?? anchor)
                observedLowAlarmAt = Timestamp(clampingSeconds: oLow)
                observedEmptyAt = Timestamp(clampingSeconds: oEmpty)
            }
            // The earlier of the programmed and the observed projections; shown while the pump's own alarm has not sounded.
            if let due = p.nextRefillDue, let lowAlarmAt, let low = [lowAlarmAt, observedLowAlarmAt].compactMap({ $0 }).min(), lowAlarmAt > asOf, low < due {
                let observedFirst = observedLowAlarmAt.map { $0 < lowAlarmAt } ?? false
                let message = observedFirst
                    ? "at the rate observed over the last fill interval (\(fmtRate(observedRateMlPerDay ?? rate)) mL/day) the low-alarm volume is reached \(low.iso8601) and the reservoir is empty \(observedEmptyAt?.iso8601 ?? "?"), before the next refill due \(due.dateString) (the pump's own alarm, computed from the programmed rate, comes \(lowAlarmAt.iso8601)): bring the refill forward"
                    : "the low-reservoir alarm (\(lowAlarmAt.iso8601)) comes before the next refill due \(due.dateString): bring the refill forward"
                alerts.append(Alert(code: "low-before-refill", severity: .warning, eventIDs: [p.lastRefillEventID ?? fillEvent],
                                    message: message, raisedAt: p.lastRefillAt ?? r.lastFillAt))
            }
            if let due = p.nextRefillDue, asOf >= due.adding(seconds: 86_400) {
                alerts.append(Alert(code: "refill-overdue", severity: .warning, eventIDs: [p.lastRefillEventID ?? fillEvent],
                                    message: "the refill due \(due.dateString) has not been recorded", raisedAt: due.adding(seconds: 86_400)))
            }
            let exceeded = r.lastFillAt.adding(days: Self.maxRefillIntervalDays)
            if asOf > exceeded {
                alerts.append(Alert(code: "refill-interval-exceeded", severity: .warning, eventIDs: [fillEvent],
                                    message: "the drug has been in the pump over 180 days (filled \(r.lastFillAt.iso8601)): refill for drug stability", raisedAt: exceeded))
            }
            alerts += Self.refillAlerts(p, lastRefill: lastRefill, asOf: asOf, observedRate: observedRateMlPerDay, observedEmptyAt: observedEmptyAt)
            if let step = p.largeDoseStep, d.dailyDoseMcg == step.toMcg, asOf < step.at.adding(days: Self.doseStepAlertDays) {
                let message = step.withinDayOfImplant
                    ? "the dose was increased from \(fmtDose(step.fromMcg)) to \(fmtDose(step.toMcg)) mcg/day within 24 h of implant: no increase is advised in the first 24 h"
                    : "the dose rose from \(fmtDose(step.fromMcg)) to \(fmtDose(step.toMcg)) mcg/day within 24 h, over the \(fmtDose(step.limitPct)) % limit for \(p.origin ?? "spinal") origin"
                alerts.append(Alert(code: "dose-step-large", severity: .warning, eventIDs: [step.eventID], message: message, raisedAt: step.at))
            }
            let range: ClosedRange<Double> = p.origin == "cerebral" ? 22...1400 : 12...2000
            if !range.contains(d.dailyDoseMcg) {
                alerts.append(Alert(code: "dose-out-of-range", severity: .warning, eventIDs: [d.eventID],
                                    message: "\(fmtDose(d.dailyDoseMcg)) mcg/day is outside the \(fmtDose(range.lowerBound))-\(fmtDose(range.upperBound)) mcg/day maintenance range for \(p.origin ?? "spinal") origin", raisedAt: d.since))
            }
            if let c = p.pendingConcentrationChange {
                let factor = c.reservoir / c.programmed
                // Inside the hour the programming may still come: a warning; after it, critical.
                if asOf.seconds > c.at.seconds + PatientFold.confirmationWindow {
                    alerts.append(Alert(code: "concentration-change", severity: .critical, eventIDs: [c.refillEventID],
                                        message: "the refill changed the concentration from \(fmtDose(c.programmed)) to \(fmtDose(c.reservoir)) mcg/mL but no programming within an hour told the pump: it delivers \(fmtFactor(factor))x the intended dose (\(fmtDose(d.dailyDoseMcg * factor)) instead of \(fmtDose(d.dailyDoseMcg)) mcg/day); reprogram the pump now", raisedAt: c.at))
                } else {
                    alerts.append(Alert(code: "concentration-change", severity: .warning, eventIDs: [c.refillEventID],
                                        message: "awaiting reprogramming: the refill changed the concentration from \(fmtDose(c.programmed)) to \(fmtDose(c.reservoir)) mcg/mL and the pump has not been told yet; until it is, it delivers \(fmtFactor(factor))x the intended dose (\(fmtDose(d.dailyDoseMcg * factor)) instead of \(fmtDose(d.dailyDoseMcg)) mcg/day); program it by \(c.at.adding(seconds: PatientFold.confirmationWindow).iso8601)", raisedAt: c.at))
                }
            }
            alerts += Self.deviceAlerts(p, pump: pump, asOf: asOf)
        }
        alerts += Self.adverseEventAlerts(p)
        // Grade 4 and 5 are serious by definition, also in reports recorded before validation refused `serious: false` for them.
        for ae in p.adverseEvents where (ae.serious || ae.grade >= 4) && (ae.resolvedAt == nil) {
            alerts.append(Alert(code: "serious-adverse-event-open", severity: ae.grade >= 4 ? .critical : .warning, eventIDs: [ae.eventID],
                                message: "serious adverse event (\(ae.category), grade \(ae.grade)) reported \(ae.reportedAt.iso8601) is not resolved", raisedAt: ae.reportedAt))
        }
        if p.therapy == .explanted, let x = p.explant, asOf < x.at.adding(days: Self.explantWatchDays) {
            alerts.append(Alert(code: "explant-withdrawal-watch", severity: .warning, eventIDs: [x.eventID],
                                message: "intrathecal baclofen ended with the explant at \(x.at.iso8601): make sure of an oral baclofen bridge or a planned taper and watch for withdrawal until \(x.at.adding(days: Self.explantWatchDays).iso8601)", raisedAt: x.at))
        }
        for c in conflicts where c.resolvedBy == nil {
            let what = c.kind == "concurrent-programming"
                ? "two dose-setting events were recorded at different sites without either seeing the other"
                : "two corrections of the same event were recorded at different sites without either seeing the other"
            alerts.append(Alert(code: c.kind, severity: .critical, eventIDs: c.eventIDs,
                                message: "\(what) (\(c.eventIDs.joined(separator: ", "))): confirm the program in force, then record a new programming or a conflict.resolved", raisedAt: c.raisedAt))
        }
        self.alerts = Self.acknowledge(alerts, with: p.acknowledgements, asOf: asOf).sorted(by: Alert.urgency)
    }
}

func fmtVol(_ v: Double) -> String { Rounding.fixed(v, decimals: 2) }
func fmtDose(_ v: Double) -> String {
    let r = Rounding.dose(v)
    return r == r.rounded() ? Rounding.fixed(r, decimals: 0) : Rounding.fixed(r, decimals: 1)
}
func fmtSigned(_ v: Double) -> String { (v > 0 ? "+" : "") + Rounding.fixed(v, decimals: 2) }
func fmtFactor(_ v: Double) -> String { Rounding.fixed(v, decimals: 2) }
func fmtRate(_ v: Double) -> String { Rounding.fixed(v, decimals: 4) }
