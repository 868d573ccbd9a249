import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// One focused test per alert rule (Sources/TherapyLedgerCore/Projection/PatientStatus.swift), on histories
/// built directly as projection events. Unless a test says otherwise: spinal origin, implant 2025-01-06T00:00Z,
/// 20 mL reservoir filled with 20 mL at 2000 mcg/mL and 1000 mcg/day, i.e. 0.5 mL/day: the low alarm (2.0 mL)
/// is reached after 36 days (2025-02-11) and the reservoir is empty after 40 days (2025-02-15).
@Suite struct ProjectionRuleTests {
    func implanted(origin: String = "spinal", dose: Double = 1000, reservoir: Double = 20, fill: Double = 20, lowAlarm: Double? = nil) -> History {
        var h = History()
        h.enrol(origin: origin)
        h.implant(reservoir: reservoir, fill: fill, dose: dose, lowAlarm: lowAlarm)
        return h
    }

    // MARK: reservoir

    @Test func reservoirEmptyIsCriticalFromTheProjectedEmptyTime() {
        let h = implanted()
        let before = h.status("2025-02-14T23:59:59Z")
        #expect(before.alert("reservoir-empty") == nil)
        let after = h.status("2025-02-16T00:00:00Z")
        let alert = after.alert("reservoir-empty")
        #expect(alert?.severity == .critical)
        #expect(alert?.raisedAt == ts("2025-02-15T00:00:00Z"))
        #expect(alert?.eventIDs == [pid(2)])
        #expect(after.volumeMl == 0)
        #expect(after.emptyAt == ts("2025-02-15T00:00:00Z"))
        #expect(after.alert("reservoir-low") == nil, "empty replaces low: \(after.codes)")
    }

    @Test func reservoirLowIsAWarningFromTheAlarmVolume() {
        let h = implanted()
        #expect(h.status("2025-02-10T23:59:59Z").alert("reservoir-low") == nil)
        let s = h.status("2025-02-13T00:00:00Z")  // 38 days: 20 - 19 = 1.0 mL
        #expect(s.alert("reservoir-low")?.severity == .warning)
        #expect(s.alert("reservoir-low")?.raisedAt == ts("2025-02-11T00:00:00Z"))
        #expect(s.lowAlarmAt == ts("2025-02-11T00:00:00Z"))
        #expect(Rounding.volume(s.volumeMl ?? -1) == 1.0)
    }

    @Test func lowBeforeRefillWhenTheAlarmComesBeforeTheDueDate() {
        // Refill 2025-01-16 (expected 15 mL): 20 mL again, alarm 36 days later = 2025-02-21.
        var late = implanted()
        late.refill("2025-01-16T00:00:00Z", residual: 15, due: "2025-02-25")
        let s = late.status("2025-01-20T00:00:00Z")
        #expect(s.alert("low-before-refill")?.severity == .warning)
        #expect(s.alert("low-before-refill")?.eventIDs == [pid(3)])
        var early = implanted()
        early.refill("2025-01-16T00:00:00Z", residual: 15, due: "2025-02-20")
        #expect(early.status("2025-01-20T00:00:00Z").alert("low-before-refill") == nil)
    }

    @Test func refillOverdueFromTheDayAfterTheDueDate() {
        // 200 mcg/day = 0.1 mL/day, so the reservoir stays well above the alarm.
        var h = implanted(dose: 200)
        h.refill("2025-01-16T00:00:00Z", residual: 19, due: "2025-03-01")
        #expect(h.status("2025-03-01T23:59:59Z").alert("refill-overdue") == nil)
        let s = h.status("2025-03-02T00:00:00Z")
        #expect(s.alert("refill-overdue")?.severity == .warning)
        #expect(s.alert("refill-overdue")?.raisedAt == ts("2025-03-02T00:00:00Z"))
    }

    @Test func refillIntervalExceededAfter180DaysOnOneFill() {
        // 40 mL pump at 0.1 mL/day: 18 mL used in 180 days, no low or empty alert interferes.
        let h = implanted(dose: 200, reservoir: 40, fill: 40)
        let limit = ts("2025-01-06T00:00:00Z").adding(days: 180)  // 2025-07-05
        #expect(Projector.status(patient: h.patient, events: h.events, asOf: limit, knownAt: nil).alert("refill-interval-exceeded") == nil)
        let s = Projector.status(patient: h.patient, events: h.events, asOf: limit.adding(seconds: 1), knownAt: nil)
        #expect(s.alert("refill-interval-exceeded")?.severity == .warning)
        #expect(s.alert("refill-interval-exceeded")?.raisedAt == ts("2025-07-05T00:00:00Z"))
    }

    // MARK: refill discrepancy

    /// A refill `days` after the implant with `residual` measured; its record and whether the alert is raised.
    func refillAfter(days: Int, residual: Double) -> (RefillRecord?, Alert?) {
        var h = implanted()
        let at = ts("2025-01-06T00:00:00Z").adding(days: Double(days))
        h.refill(at.iso8601, residual: residual)
        let s = h.status(at.adding(seconds: 60).iso8601)
        return (s.lastRefill, s.alert("refill-under-delivery") ?? s.alert("refill-over-infusion"))
    }

    @Test func refillDiscrepancyUnderDeliveryAndOverInfusion() {
        // 20 days at 0.5 mL/day: expected 10 mL, 10 mL should have been delivered, limit max(1.0, 1.45) = 1.45 mL.
        let (under, underAlert) = refillAfter(days: 20, residual: 14)
        #expect(under?.expectedResidualMl == 10)
        #expect(under?.discrepancyMl == 4)
        #expect(under?.discrepancyPct == 40)
        #expect(under?.flagged == true)
        #expect(underAlert?.code == "refill-under-delivery" && underAlert?.severity == .critical, "\(String(describing: underAlert))")
        let (over, overAlert) = refillAfter(days: 20, residual: 6)
        #expect(over?.discrepancyMl == -4)
        #expect(over?.discrepancyPct == -40)
        #expect(overAlert?.code == "refill-over-infusion" && overAlert?.severity == .warning, "\(String(describing: overAlert))")
    }

    @Test func refillDiscrepancyPercentEdge() {
        // Limit 14.5 % of 10 mL = 1.45 mL (above the 1.0 mL floor): flagged only when strictly over it.
        #expect(refillAfter(days: 20, residual: 11.45).0?.flagged == false)
        #expect(refillAfter(days: 20, residual: 11.46).0?.flagged == true)
        #expect(refillAfter(days: 20, residual: 8.55).0?.flagged == false)
        #expect(refillAfter(days: 20, residual: 8.54).0?.flagged == true)
        #expect(refillAfter(days: 20, residual: 8.54).1 != nil)
        #expect(refillAfter(days: 20, residual: 11.45).1 == nil)
    }

    @Test func refillDiscrepancyOneMilliliterEdge() {
        // 4 days: expected 18 mL, 2 mL delivered, 14.5 % = 0.29 mL, so the 1.0 mL floor applies.
        #expect(refillAfter(days: 4, residual: 19).0?.discrepancyMl == 1)
        #expect(refillAfter(days: 4, residual: 19).0?.flagged == false)
        #expect(refillAfter(days: 4, residual: 19.01).0?.flagged == true)
        #expect(refillAfter(days: 4, residual: 17).0?.flagged == false)
        #expect(refillAfter(days: 4, residual: 16.99).0?.flagged == true)
    }

    // MARK: dose

    /// Implant 1000 mcg/day, then `to` programmed 10 days later (or `hoursAfterImplant` after the implant).
    func step(origin: String, from: Double = 100, to: Double, hoursAfterImplant: Int64 = 240) -> PatientStatus {
        var h = implanted(origin: origin, dose: from)
        let at = ts("2025-01-06T00:00:00Z").adding(seconds: hoursAfterImplant * 3600)
        h.program(at.iso8601, to)
        return h.status(at.adding(seconds: 3600).iso8601)
    }

    @Test func doseStepLargeThirtyPercentSpinal() {
        #expect(step(origin: "spinal", to: 130).alert("dose-step-large") == nil)
        let s = step(origin: "spinal", to: 131)
        #expect(s.alert("dose-step-large")?.severity == .warning)
        #expect(s.alert("dose-step-large")?.eventIDs == [pid(3)])
    }

    @Test func doseStepLargeFifteenPercentCerebral() {
        #expect(step(origin: "cerebral", to: 115).alert("dose-step-large") == nil)
        #expect(step(origin: "cerebral", to: 116).alert("dose-step-large") != nil)
        #expect(step(origin: "spinal", to: 116).alert("dose-step-large") == nil)
    }

    @Test func anyIncreaseWithin24HoursOfImplant() {
        let s = step(origin: "spinal", to: 101, hoursAfterImplant: 23)
        #expect(s.alert("dose-step-large")?.message.contains("within 24 h of implant") == true, "\(s.codes)")
        #expect(step(origin: "spinal", to: 101, hoursAfterImplant: 25).alert("dose-step-large") == nil)
        #expect(step(origin: "spinal", to: 99, hoursAfterImplant: 23).alert("dose-step-large") == nil)
    }

    @Test func doseStepComparesWithTheLowestDoseOfThePast24Hours() {
        // 100 -> 125 (+25 %) then 12 h later 150: +50 % over the 100 in force 24 h before.
        var h = implanted(dose: 100)
        h.program("2025-01-20T00:00:00Z", 125)
        h.program("2025-01-20T12:00:00Z", 150)
        #expect(h.status("2025-01-20T13:00:00Z").alert("dose-step-large")?.eventIDs == [pid(4)])
    }

    @Test func doseOutOfRange() {
        #expect(implanted(dose: 2000).status("2025-01-07T00:00:00Z").alert("dose-out-of-range") == nil)
        #expect(implanted(dose: 2001).status("2025-01-07T00:00:00Z").alert("dose-out-of-range")?.severity == .warning)
        #expect(implanted(dose: 11).status("2025-01-07T00:00:00Z").alert("dose-out-of-range") != nil)
        #expect(implanted(dose: 12).status("2025-01-07T00:00:00Z").alert("dose-out-of-range") == nil)
        #expect(implanted(origin: "cerebral", dose: 1400).status("2025-01-07T00:00:00Z").alert("dose-out-of-range") == nil)
        #expect(implanted(origin: "cerebral", dose: 1401).status("2025-01-07T00:00:00Z").alert("dose-out-of-range") != nil)
        #expect(implanted(origin: "cerebral", dose: 21).status("2025-01-07T00:00:00Z").alert("dose-out-of-range") != nil)
    }

    // MARK: adverse events

    @Test func seriousAdverseEventOpenUntilResolved() {
        var h = implanted(dose: 200)
        let report = h.add(.adverseEventReported, "2025-01-10T00:00:00Z", EventFacts(grade: 3, serious: true, label: "infection", label2: "device"))
        h.add(.adverseEventReported, "2025-01-10T01:00:00Z", EventFacts(grade: 2, serious: false, label: "other"))
        h.add(.adverseEventResolved, "2025-01-20T00:00:00Z", EventFacts(label: "recovered", ref: report))
        let open = h.status("2025-01-15T00:00:00Z")
        #expect(open.alerts.filter { $0.code == "serious-adverse-event-open" }.map(\.eventIDs) == [[report]], "non-serious reports raise nothing")
        #expect(open.alert("serious-adverse-event-open")?.severity == .warning)
        #expect(h.status("2025-01-20T00:00:00Z").alert("serious-adverse-event-open") == nil)
        var grave = implanted(dose: 200)
        grave.add(.adverseEventReported, "2025-01-10T00:00:00Z", EventFacts(grade: 4, serious: true, label: "withdrawal"))
        #expect(grave.status("2025-01-15T00:00:00Z").alert("serious-adverse-event-open")?.severity == .critical)
    }

    // MARK: concentration change

    /// Implant at 500 mcg/mL, 250 mcg/day (0.5 mL/day); refill at 2000 mcg/mL 2025-01-16; optional programming.
    func concentrationChange(programmingAt: String?) -> History {
        var h = History()
        h.enrol()
        h.implant(conc: 500, dose: 250)
        if let programmingAt, programmingAt < "2025-01-16" { h.program(programmingAt, 250) }
        h.refill("2025-01-16T00:00:00Z", residual: 15, conc: 2000)
        if let programmingAt, programmingAt > "2025-01-16" { h.program(programmingAt, 250) }
        return h
    }

    @Test func concentrationChangeWithoutProgrammingIsCritical() {
        let s = concentrationChange(programmingAt: nil).status("2025-01-17T00:00:00Z")
        let alert = s.alert("concentration-change")
        #expect(alert?.severity == .critical)
        #expect(alert?.eventIDs == [pid(3)])
        #expect(alert?.message.contains("4.00x") == true, "\(String(describing: alert))")
        #expect(s.dose?.programmedConcentration == 500)
        #expect(s.dose?.reservoirConcentration == 2000)
    }

    @Test func concentrationChangeConfirmedWithinTheHour() {
        for at in ["2025-01-16T00:30:00Z", "2025-01-16T01:00:00Z", "2025-01-15T23:30:00Z"] {
            let s = concentrationChange(programmingAt: at).status("2025-01-17T00:00:00Z")
            #expect(s.alert("concentration-change") == nil, "programming at \(at): \(s.codes)")
            #expect(s.dose?.programmedConcentration == 2000)
            #expect(s.dose.map { Rounding.rate($0.rateMlPerDay) } == 0.125)
        }
    }

    @Test func concentrationChangeProgrammedLaterClearsFromThen() {
        let h = concentrationChange(programmingAt: "2025-01-16T02:00:00Z")
        #expect(h.status("2025-01-16T01:30:00Z").alert("concentration-change") != nil)
        let after = h.status("2025-01-16T03:00:00Z")
        #expect(after.alert("concentration-change") == nil)
        #expect(after.dose?.programmedConcentration == 2000)
    }

    // MARK: pump end of life

    @Test func pumpEndOfLifeWarnsAtSixAndAHalfYearsCriticalAtSeven() {
        let h = implanted(dose: 200)
        let implant = ts("2025-01-06T00:00:00Z")
        func eol(_ days: Double) -> Alert? {
            Projector.status(patient: h.patient, events: h.events, asOf: implant.adding(days: days), knownAt: nil).alert("pump-end-of-life")
        }
        #expect(eol(6.5 * 365.25 - 1) == nil)
        #expect(eol(6.5 * 365.25)?.severity == .warning)
        #expect(eol(7 * 365.25 - 1)?.severity == .warning)
        #expect(eol(7 * 365.25)?.severity == .critical)
        #expect(eol(7 * 365.25)?.eventIDs == [pid(2)])
    }

    // MARK: concurrent programming

    /// North implants and syncs to south; both then program without seeing each other.
    func concurrentProgramming() -> (History, String, String) {
        var h = History()
        h.enrol()
        h.implant(dose: 500)
        h.sync(from: "north", to: "south")
        let a = h.program("2025-02-03T09:00:00Z", 600, site: "north")
        let b = h.program("2025-02-03T14:00:00Z", 625, site: "south")
        return (h, a, b)
    }

    @Test func concurrentProgrammingIsCriticalWhileOpen() {
        let (h, a, b) = concurrentProgramming()
        let s = h.status("2025-02-03T18:00:00Z")
        #expect(s.alert("concurrent-programming")?.severity == .critical)
        #expect(s.alert("concurrent-programming")?.eventIDs == [a, b].sorted())
        #expect(s.conflicts.map(\.resolvedBy) == [nil])
        #expect(h.status("2025-02-03T12:00:00Z").conflicts.isEmpty, "south's programming has not occurred yet")
    }

    @Test func concurrentProgrammingResolvedByAProgrammingThatSawBoth() {
        var (h, _, _) = concurrentProgramming()
        h.sync(from: "south", to: "north")
        let c = h.program("2025-02-04T10:00:00Z", 625, site: "north")
        #expect(h.status("2025-02-04T09:00:00Z").alert("concurrent-programming") != nil, "not resolved before it occurs")
        let s = h.status("2025-02-04T12:00:00Z")
        #expect(s.alert("concurrent-programming") == nil)
        #expect(s.conflicts.map(\.resolvedBy) == [c])
    }

    @Test func aProgrammingThatSawOnlyOneSideDoesNotResolve() {
        var (h, _, _) = concurrentProgramming()
        h.program("2025-02-04T10:00:00Z", 625, site: "north")  // north has not imported south's programming
        #expect(h.status("2025-02-04T12:00:00Z").alert("concurrent-programming") != nil)
    }

    @Test func concurrentProgrammingResolvedByConflictResolved() {
        var (h, a, b) = concurrentProgramming()
        let r = h.add(.conflictResolved, "2025-02-04T10:00:00Z", EventFacts(refs: [a, b]), site: "south")
        let s = h.status("2025-02-04T12:00:00Z")
        #expect(s.alert("concurrent-programming") == nil)
        #expect(s.conflicts.map(\.resolvedBy) == [r])
        #expect(s.dose?.dailyDoseMcg == 625, "a resolution changes no dose")
    }

    @Test func programmingAfterImportingTheOtherSiteIsNoConflict() {
        var h = History()
        h.enrol()
        h.implant(dose: 500)
        h.sync(from: "north", to: "south")
        h.program("2025-02-03T09:00:00Z", 600, site: "north")
        h.sync(from: "north", to: "south")
        h.program("2025-02-03T14:00:00Z", 625, site: "south")
        let s = h.status("2025-02-03T18:00:00Z")
        #expect(s.conflicts.isEmpty)
        #expect(s.alerts.isEmpty, "\(s.codes)")
    }

    // MARK: pump lifecycle

    @Test func replacementKeepsTheLowAlarmAndResetsTheLastRefill() {
        var h = implanted(lowAlarm: 4.0)
        h.refill("2025-01-16T00:00:00Z", residual: 15, due: "2025-02-10")
        let before = h.status("2025-01-20T00:00:00Z")
        #expect(before.pump?.lowAlarmMl == 4.0)
        #expect(before.lastRefillAt == ts("2025-01-16T00:00:00Z"))
        h.implant("2025-01-25T00:00:00Z", reservoir: 40, conc: 1000, fill: 40, dose: 500, replace: true)
        let s = h.status("2025-01-26T00:00:00Z")
        #expect(s.pump?.lowAlarmMl == 4.0, "a replacement without lowAlarmMl keeps the patient's setting")
        #expect(s.pump?.reservoirMl == 40)
        #expect(s.lastRefillAt == nil)
        #expect(s.nextRefillDue == nil)
        #expect(s.lastRefill == nil)
        #expect(s.dose?.programmedConcentration == 1000)
        #expect(s.volumeMl.map(Rounding.volume) == 39.5)  // 40 - 1 day x 500/1000
    }

    @Test func explantEndsTherapy() {
        var h = implanted()
        h.add(.pumpExplanted, "2025-01-20T00:00:00Z", EventFacts())
        let s = h.status("2025-03-01T00:00:00Z")
        #expect(s.therapy == .explanted)
        #expect(s.dose == nil)
        #expect(s.alerts.isEmpty, "no reservoir alert after explant: \(s.codes)")
        #expect(s.json["reservoir"] == .null)
        #expect(h.status("2025-01-19T00:00:00Z").therapy == .active)
    }

    @Test func notImplantedBeforeTheImplant() {
        let h = implanted()
        #expect(h.status("2025-01-05T23:59:59Z").therapy == .notImplanted)
        #expect(h.status("2024-12-01T00:00:00Z").therapy == .notImplanted, "also before enrolment")
        #expect(h.status("2025-01-05T23:59:59Z").json["dose"] == .null)
        #expect(h.status("2025-01-06T00:00:00Z").therapy == .active)
    }

    @Test func unknownPatientIsAnError() throws {
        let l = try TestLedger()
        try l.append([enrol("P001", id: id(1))])
        let store = try l.open()
        #expect(try store.status(patient: "P001", asOf: ts("2025-03-01T00:00:00Z")).therapy == .notImplanted)
        #expect(throws: StoreError.self) { try store.status(patient: "P999", asOf: ts("2025-03-01T00:00:00Z")) }
        #expect(throws: StoreError.self) { try store.timeline(patient: "P999") }
    }
}
