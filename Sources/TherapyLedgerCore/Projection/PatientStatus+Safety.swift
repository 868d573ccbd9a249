/// The safety rules added for delivery problems, refill reconciliation, dry runs, bridge boluses, device facts and
/// acknowledgements (README, "Reservoir and alert rules"). Each reads only what was folded up to the as-of time.
extension PatientStatus {
    /// `refill-under-delivery`, `refill-over-infusion`, `reservoir-ran-dry` and `bridge-bolus-missing`.
    static func refillAlerts(_ p: PatientProjection, lastRefill: RefillRecord?, asOf: Timestamp, observedRate: Double?, observedEmptyAt: Timestamp?) -> [Alert] {
        var alerts: [Alert] = []
        func numbers(_ r: RefillRecord) -> String {
            "refill residual \(fmtVol(r.measuredResidualMl)) mL vs \(fmtVol(r.expectedResidualMl)) mL expected (\(fmtSigned(r.discrepancyMl)) mL\(r.discrepancyPct.map { ", " + (Rounding.percent($0) > 0 ? "+" : "") + Rounding.fixed($0, decimals: 1) + " %" } ?? ""))"
        }
        if let u = p.openUnderDelivery {
            alerts.append(Alert(code: "refill-under-delivery", severity: .critical, eventIDs: [u.eventID],
                                message: "\(numbers(u)): more drug was left than expected, so less was delivered: catheter occlusion, kink, dislodgement or a pump stall? Withdrawal risk: check the catheter and pump (open until a catheter revision, a pump replacement or a refill within threshold)",
                                raisedAt: u.at))
        }
        if let r = lastRefill, r.isOverInfusion {
            var message = "\(numbers(r)): less drug was left than expected, so the pump delivered more than programmed: overdose risk, and it may empty before the planned refill (withdrawal)"
            if let rate = observedRate, let ratio = r.observedRatio {
                message += "; at the observed rate (\(fmtFactor(ratio))x, \(fmtRate(rate)) mL/day) it is empty \(observedEmptyAt?.iso8601 ?? "?")"
            }
            alerts.append(Alert(code: "refill-over-infusion", severity: .warning, eventIDs: [r.eventID], message: message + "; check the pump", raisedAt: r.at))
        }
        if let pump = p.pump {
            for r in p.refills where r.ranDry && r.at >= pump.implantedAt && asOf < r.at.adding(days: ranDryAlertDays) {
                let interval: String
                if let from = r.dryFrom {
                    interval = "no drug from \(from.iso8601) to the refill at \(r.at.iso8601) (\(Rounding.fixed(Double(r.at.seconds - from.seconds) / 86_400, decimals: 1)) days)"
                } else {
                    interval = "the measured residual was 0 while \(fmtVol(r.expectedResidualMl)) mL were expected, so when it ran dry is unknown: some time between the fill at \(r.previousFillAt.iso8601) and the refill at \(r.at.iso8601)"
                }
                alerts.append(Alert(code: "reservoir-ran-dry", severity: .warning, eventIDs: [r.eventID],
                                    message: "the reservoir ran dry before the refill: \(interval); watch for withdrawal, and a dry run is a risk factor for later over-infusion",
                                    raisedAt: r.at))
            }
        }
        if let b = p.pendingBridge, asOf.seconds > b.at.seconds + bridgeBolusWindow, asOf.seconds < b.at.seconds + bridgeBolusAlertEnd {
            alerts.append(Alert(code: "bridge-bolus-missing", severity: .warning, eventIDs: [b.refillEventID],
                                message: "the refill at \(b.at.iso8601) changed the concentration and no bridge bolus followed within an hour: the old drug in the catheter is delivered at the new rate; give or record a bridge bolus",
                                raisedAt: b.at.adding(seconds: bridgeBolusWindow)))
        }
        return alerts
    }

    /// `pump-end-of-life` (from the device catalogue), `pump-eri`, `pump-end-of-service`, `pump-low-reservoir-alarm`, and
    /// `delivery-problem` from a motor stall or critical alarm.
    static func deviceAlerts(_ p: PatientProjection, pump: PumpState, asOf: Timestamp) -> [Alert] {
        var alerts: [Alert] = []
        let entry = DeviceCatalogue.model(for: pump.model)
        let modelName = pump.model ?? "of unknown model"
        if let battery = entry?.battery, let entry {
            let age = Double(asOf.seconds - pump.implantedAt.seconds) / 86_400 / 365.25
            if age >= battery.warningYears {
                let critical = age >= battery.criticalYears
                let years = critical ? battery.criticalYears : battery.warningYears
                alerts.append(Alert(code: "pump-end-of-life", severity: critical ? .critical : .warning, eventIDs: [pump.eventID],
                                    message: "the pump (\(modelName)) was implanted \(pump.implantedAt.dateString), \(Rounding.fixed(age, decimals: 1)) years ago: \(entry.name) batteries last about \(fmtDose(battery.criticalYears)) years and the pump stops about \(fmtDose(battery.eriToStopDays)) days after its replacement indicator; plan replacement",
                                    raisedAt: pump.implantedAt.adding(days: years * 365.25)))
            }
        }
        let i = p.interrogation
        if let eri = i.eri {
            let days = entry?.battery?.eriToStopDays ?? DeviceCatalogue.fallbackEriToStopDays
            alerts.append(Alert(code: "pump-eri", severity: .critical, eventIDs: [eri.eventID],
                                message: "the pump (\(modelName)) reported its elective replacement indicator at \(eri.at.iso8601): it stops about \(eri.at.adding(days: days).dateString) (\(fmtDose(days)) days later), and then no drug is delivered; replace it before then",
                                raisedAt: eri.at))
        }
        if let eos = i.endOfService {
            alerts.append(Alert(code: "pump-end-of-service", severity: .critical, eventIDs: [eos.eventID],
                                message: "the pump (\(modelName)) reported end of service at \(eos.at.iso8601): it has stopped and delivers no drug, risk of baclofen withdrawal; replace it now and bridge with oral baclofen",
                                raisedAt: eos.at))
        }
        if let fault = i.deliveryFault {
            let what = i.deliveryFaultFinding == "motor-stall" ? "a motor stall" : "a critical alarm"
            alerts.append(Alert(code: "delivery-problem", severity: .critical, eventIDs: [fault.eventID],
                                message: "the pump interrogation at \(fault.at.iso8601) reported \(what): delivery may have stopped, risk of baclofen withdrawal; check the pump now (open until an interrogation with no alarm or a pump replacement)",
                                raisedAt: fault.at))
        }
        if let low = i.lowReservoirAlarm {
            var message = "the pump reported its low-reservoir alarm at \(low.at.iso8601): refill it (open until a refill)"
            if let projected = i.lowReservoirAlarmProjectedMl, projected > pump.lowAlarmMl {
                message += "; the projection expected \(fmtVol(projected)) mL then, above the \(fmtVol(pump.lowAlarmMl)) mL alarm volume: the pump may be delivering more than programmed"
            }
            alerts.append(Alert(code: "pump-low-reservoir-alarm", severity: .warning, eventIDs: [low.eventID], message: message, raisedAt: low.at))
        }
        return alerts
    }

    /// `delivery-problem` for open withdrawal, catheter- or pump-malfunction reports, `overdose-suspected` for open overdose reports.
    static func adverseEventAlerts(_ p: PatientProjection) -> [Alert] {
        var alerts: [Alert] = []
        for ae in p.adverseEvents where ae.resolvedAt == nil {
            if ae.isDeliveryProblem, ae.deviceFixedAt == nil {
                alerts.append(Alert(code: "delivery-problem", severity: .critical, eventIDs: [ae.eventID],
                                    message: "adverse event \(ae.category) (grade \(ae.grade)) reported \(ae.reportedAt.iso8601) is open: intrathecal delivery may be interrupted, and abrupt withdrawal can be fatal; check the pump and catheter (open until resolved, a catheter revision or a pump replacement)",
                                    raisedAt: ae.reportedAt))
            } else if ae.category == "overdose" {
                alerts.append(Alert(code: "overdose-suspected", severity: .critical, eventIDs: [ae.eventID],
                                    message: "adverse event overdose (grade \(ae.grade)) reported \(ae.reportedAt.iso8601) is open: watch breathing and consciousness, check the programmed dose and the pump (open until resolved)",
                                    raisedAt: ae.reportedAt))
            }
        }
        return alerts
    }

    /// Marks each alert with the latest acknowledgement in force at `asOf` that names its code and every event behind it.
    static func acknowledge(_ alerts: [Alert], with acks: [AcknowledgementRecord], asOf: Timestamp) -> [Alert] {
        guard !acks.isEmpty else { return alerts }
        return alerts.map { alert in
            var a = alert
            for ack in acks.reversed() where ack.code == alert.code && ack.at <= asOf && (ack.until.map { asOf < $0 } ?? true)
                && Set(alert.eventIDs).isSubset(of: ack.eventIDs) {
                a.acknowledgement = Alert.Acknowledgement(eventID: ack.eventID, by: ack.by, at: ack.at, until: ack.until)
                break
            }
            return a
        }
    }
}
