import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// The clinical-safety rules of issue 11, each with its threshold exactly, and one step either side.
/// Unless a test says otherwise: spinal origin, implant 2025-01-06T00:00Z, 20 mL reservoir filled with 20 mL at
/// 2000 mcg/mL and 1000 mcg/day, i.e. 0.5 mL/day (low alarm 2.0 mL after 36 days, empty after 40 days).
@Suite struct SafetyRuleTests {
    func implanted(model: String = "SynchroMed II", dose: Double = 1000, conc: Double = 2000, lowAlarm: Double? = nil, at: String = "2025-01-06T00:00:00Z") -> History {
        var h = History()
        h.enrol()
        h.add(.pumpImplanted, at, EventFacts(dailyDoseMcg: dose, concentrationMcgPerMl: conc, volumeMl: 20, reservoirMl: 20, lowAlarmMl: lowAlarm,
                                             label: "baclofen", label2: model))
        return h
    }

    func at(_ base: String, seconds: Int64) -> String { ts(base).adding(seconds: seconds).iso8601 }

    // MARK: the mismatch: no event after the as-of time changes the answer

    /// The issue's reproduction: implant 2026-01-05T10:00Z at 500 mcg/mL and 200 mcg/day (20 mL), refill 30 days later
    /// with 2000 mcg/mL (residual 7.8, added 20); a programming of 250 mcg/day at 10:30 must not change the 10:20 answer.
    @Test func aLaterProgrammingDoesNotChangeTheEarlierStatus() {
        var h = implanted(dose: 200, conc: 500, at: "2026-01-05T10:00:00Z")
        h.refill("2026-02-04T10:00:00Z", residual: 7.8, added: 20, conc: 2000)
        let before = h.status("2026-02-04T10:20:00Z")
        // The pump still computes its rate from 500 mcg/mL: 200 / 500 = 0.4 mL/day; 20 - 0.4 x 20/1440 = 19.994 mL.
        #expect(before.dose.map { Rounding.rate($0.rateMlPerDay) } == 0.4)
        #expect(before.dose?.programmedConcentration == 500)
        #expect(before.dose?.reservoirConcentration == 2000)
        #expect(before.volumeMl.map(Rounding.volume) == 19.99)
        #expect(before.alert("concentration-change")?.severity == .warning, "inside the hour: awaiting reprogramming, \(before.codes)")
        #expect(before.alert("concentration-change")?.message.contains("awaiting reprogramming") == true)
        h.program("2026-02-04T10:30:00Z", 250)
        let after = h.status("2026-02-04T10:20:00Z")
        #expect(after.jsonText == before.jsonText)
        // From the programming on the pump knows 2000 mcg/mL: 250 / 2000 = 0.125 mL/day, and no concentration alert.
        let later = h.status("2026-02-04T12:00:00Z")
        #expect(later.dose.map { Rounding.rate($0.rateMlPerDay) } == 0.125)
        #expect(later.alert("concentration-change") == nil)
        // 30 min at 0.4 and 90 min at 0.125 mL/day: 20 - 0.0083333 - 0.0078125 = 19.9839 mL.
        #expect(later.volumeMl.map(Rounding.volume) == 19.98)
    }

    @Test func concentrationChangeIsAWarningForAnHourThenCritical() {
        var h = implanted(dose: 250, conc: 500)
        h.refill("2025-01-16T00:00:00Z", residual: 15, conc: 2000)
        #expect(h.status("2025-01-16T00:00:00Z").alert("concentration-change")?.severity == .warning)
        #expect(h.status(at("2025-01-16T00:00:00Z", seconds: 3599)).alert("concentration-change")?.severity == .warning)
        #expect(h.status(at("2025-01-16T00:00:00Z", seconds: 3600)).alert("concentration-change")?.severity == .warning)
        #expect(h.status(at("2025-01-16T00:00:00Z", seconds: 3601)).alert("concentration-change")?.severity == .critical)
    }

    // MARK: delivery problems and overdose

    @Test(arguments: ["withdrawal", "catheter-malfunction", "pump-malfunction"])
    func deliveryProblemWhetherOrNotSerious(category: String) {
        var h = implanted()
        let report = h.add(.adverseEventReported, "2025-01-10T00:00:00Z", EventFacts(grade: 2, serious: false, label: category))
        #expect(h.status("2025-01-09T23:59:59Z").alert("delivery-problem") == nil)
        let open = h.status("2025-01-10T00:00:00Z").alert("delivery-problem")
        #expect(open?.severity == .critical)
        #expect(open?.eventIDs == [report])
        h.add(.adverseEventResolved, "2025-01-12T00:00:00Z", EventFacts(label: "recovered", ref: report))
        #expect(h.status("2025-01-11T23:59:59Z").alert("delivery-problem") != nil)
        #expect(h.status("2025-01-12T00:00:00Z").alert("delivery-problem") == nil)
    }

    @Test func deliveryProblemClosesOnALaterCatheterRevisionOrPumpReplacement() {
        var h = implanted()
        h.add(.catheterRevised, "2025-01-09T00:00:00Z", EventFacts())
        h.add(.adverseEventReported, "2025-01-10T00:00:00Z", EventFacts(grade: 3, serious: true, label: "catheter-malfunction"))
        #expect(h.status("2025-01-11T00:00:00Z").alert("delivery-problem") != nil, "a revision before the report does not close it")
        h.add(.catheterRevised, "2025-01-12T00:00:00Z", EventFacts())
        #expect(h.status("2025-01-11T23:59:59Z").alert("delivery-problem") != nil)
        #expect(h.status("2025-01-12T00:00:00Z").alert("delivery-problem") == nil)
        #expect(h.status("2025-01-12T00:00:00Z").alert("serious-adverse-event-open") != nil, "still a serious report until resolved")

        var r = implanted()
        r.add(.adverseEventReported, "2025-01-10T00:00:00Z", EventFacts(grade: 2, serious: false, label: "pump-malfunction"))
        r.add(.pumpReplaced, "2025-01-15T00:00:00Z", EventFacts(dailyDoseMcg: 1000, concentrationMcgPerMl: 2000, volumeMl: 20, reservoirMl: 20, label: "baclofen", label2: "SynchroMed II"))
        #expect(r.status("2025-01-14T00:00:00Z").alert("delivery-problem") != nil)
        #expect(r.status("2025-01-15T00:00:00Z").alert("delivery-problem") == nil)
    }

    @Test func overdoseSuspectedUntilResolved() {
        var h = implanted()
        let report = h.add(.adverseEventReported, "2025-01-10T00:00:00Z", EventFacts(grade: 1, serious: false, label: "overdose"))
        #expect(h.status("2025-01-10T00:00:00Z").alert("overdose-suspected")?.severity == .critical)
        #expect(h.status("2025-01-10T00:00:00Z").alert("delivery-problem") == nil)
        h.add(.adverseEventResolved, "2025-01-11T00:00:00Z", EventFacts(label: "recovered", ref: report))
        #expect(h.status("2025-01-11T00:00:00Z").alert("overdose-suspected") == nil)
    }

    @Test func aGradeFourReportRecordedAsNotSeriousIsShownAsSerious() {
        // Recorded before validation refused it (projections read stored facts): still a critical serious event.
        var h = implanted()
        h.add(.adverseEventReported, "2025-01-10T00:00:00Z", EventFacts(grade: 4, serious: false, label: "infection"))
        #expect(h.status("2025-01-11T00:00:00Z").alert("serious-adverse-event-open")?.severity == .critical)
    }

    @Test(arguments: [(3, false, true), (4, false, false), (5, false, false), (4, true, true), (5, true, true)])
    func gradeFourOrFiveMustBeSerious(grade: Int, serious: Bool, accepted: Bool) throws {
        let line = event("adverse-event.reported", data: .object(["category": .string("withdrawal"), "grade": .number(Double(grade)), "serious": .bool(serious)]))
        let outcome = validateBatch([enrol(), line])
        #expect((outcome.entries != nil) == accepted, "\(outcome.errors)")
        if !accepted { #expect(outcome.errors.contains { $0.field == "data.serious" && $0.message.contains("serious by definition") }, "\(outcome.errors)") }
        // The same rule holds for an amend of a report.
        let report = "01950000-0000-7000-8000-00000000aaa1"
        let ok = event("adverse-event.reported", id: report, data: .object(["category": .string("withdrawal"), "grade": .number(2), "serious": .bool(false)]))
        let amend = event("event.corrected", at: "2025-03-02T09:00:00Z", reason: "regraded", data: .object([
            "target": .string(report), "action": .string("amend"),
            "data": .object(["category": .string("withdrawal"), "grade": .number(Double(grade)), "serious": .bool(serious)])]))
        let amended = validateBatch([enrol(), ok, amend])
        #expect((amended.entries != nil) == accepted, "\(amended.errors)")
        if !accepted { #expect(amended.errors.contains { $0.field == "data.data.serious" }, "\(amended.errors)") }
    }

    // MARK: refill under-delivery and over-infusion

    @Test func underDeliveryIsCriticalUntilARefillWithinThreshold() {
        // 20 days at 0.5 mL/day: expected 10, limit 1.45 mL. 11.46 is flagged, 11.45 is not.
        for (residual, flagged) in [(11.44, false), (11.45, false), (11.46, true)] {
            var h = implanted()
            h.refill("2025-01-26T00:00:00Z", residual: residual)
            let s = h.status("2025-01-26T00:01:00Z")
            #expect((s.alert("refill-under-delivery") != nil) == flagged, "residual \(residual): \(s.codes)")
            #expect(s.alert("refill-under-delivery").map { $0.severity == .critical } ?? true)
            #expect(s.alert("refill-discrepancy") == nil, "the old code is gone")
        }
        var h = implanted()
        let under = h.refill("2025-01-26T00:00:00Z", residual: 14)
        // The next refill 20 days later: expected 10 again, over-infused (6 left) keeps it; within threshold (10) closes it.
        var over = h
        over.refill("2025-02-15T00:00:00Z", residual: 6)
        #expect(over.status("2025-02-15T00:01:00Z").alert("refill-under-delivery")?.eventIDs == [under])
        h.refill("2025-02-15T00:00:00Z", residual: 10)
        #expect(h.status("2025-02-14T23:59:59Z").alert("refill-under-delivery") != nil)
        #expect(h.status("2025-02-15T00:00:00Z").alert("refill-under-delivery") == nil)
    }

    @Test func underDeliveryClosesOnACatheterRevisionAndAnAcknowledgementOnlyMarksIt() {
        var h = implanted()
        let under = h.refill("2025-01-26T00:00:00Z", residual: 14)
        let ack = h.add(.alertAcknowledged, "2025-01-26T01:00:00Z", EventFacts(label: "refill-under-delivery", refs: [under]))
        let acked = h.status("2025-01-27T00:00:00Z").alert("refill-under-delivery")
        #expect(acked?.severity == .critical)
        #expect(acked?.acknowledgement?.eventID == ack)
        #expect(acked?.acknowledgement?.by == "dr.test")
        h.add(.catheterRevised, "2025-01-28T00:00:00Z", EventFacts())
        #expect(h.status("2025-01-28T00:00:00Z").alert("refill-under-delivery") == nil)
    }

    /// 20 days at 0.5 mL/day should deliver 10 mL; 6 mL left means 14 delivered: ratio 1.4, observed rate 0.7 mL/day.
    /// From the refill (20 mL added): observed low (2 mL) after 18/0.7 = 25.714 d, empty after 20/0.7 = 28.571 d.
    @Test func overInfusionProjectsAtTheObservedRate() {
        var h = implanted()
        h.refill("2025-01-26T00:00:00Z", residual: 6, due: "2025-02-25")
        let s = h.status("2025-01-27T00:00:00Z")
        #expect(s.alert("refill-over-infusion")?.severity == .warning)
        #expect(s.observedRateMlPerDay.map(Rounding.rate) == 0.7)
        // 25.714286 d = 25 d 17:08:34.29 -> 2025-02-20T17:08:34Z; 28.571429 d = 28 d 13:42:51.43 -> 2025-02-23T13:42:51Z.
        #expect(s.observedLowAlarmAt == ts("2025-02-20T17:08:34Z"))
        #expect(s.observedEmptyAt == ts("2025-02-23T13:42:51Z"))
        #expect(s.lowAlarmAt == ts("2025-03-03T00:00:00Z"), "the programmed projection is unchanged: 36 days")
        #expect(s.json["reservoir"]?["observedRateMlPerDay"] == .number(0.7))
        #expect(s.json["reservoir"]?["observedEmptyAt"] == .string("2025-02-23T13:42:51Z"))
        // The programmed low alarm (03-03) is after the due date (02-25); the observed one (02-20) is before it.
        #expect(s.alert("low-before-refill") != nil, "\(s.codes)")
        #expect(s.earliestEmptyAt == ts("2025-02-23T13:42:51Z"))
    }

    @Test func lowBeforeRefillUsesTheObservedLowAlarmAtItsBoundary() {
        // Observed low alarm 2025-02-20T17:08:34Z: a due date of 02-21 (midnight) is after it, 02-20 (midnight) before it.
        for (due, raised) in [("2025-02-20", false), ("2025-02-21", true)] {
            var h = implanted()
            h.refill("2025-01-26T00:00:00Z", residual: 6, due: due)
            #expect((h.status("2025-01-27T00:00:00Z").alert("low-before-refill") != nil) == raised, "due \(due)")
        }
    }

    @Test func observedRatioLeavesBolusesOut() {
        // A 1000 mcg bolus (0.5 mL) in the interval: expected 9.5; 5.5 left -> delivered 20 - 0.5 - 5.5 = 14 over 10: ratio 1.4.
        var h = implanted()
        h.bolus("2025-01-16T00:00:00Z", 1000)
        h.refill("2025-01-26T00:00:00Z", residual: 5.5)
        let s = h.status("2025-01-27T00:00:00Z")
        #expect(s.lastRefill.map { Rounding.volume($0.expectedResidualMl) } == 9.5)
        #expect(s.observedRateMlPerDay.map(Rounding.rate) == 0.7)
        // A bolus after the refill comes off the observed projection too: 0.5 mL is 0.5/0.7 d = 17:08:34 earlier.
        h.bolus("2025-01-28T00:00:00Z", 1000)
        #expect(h.status("2025-01-29T00:00:00Z").observedEmptyAt == ts("2025-02-22T20:34:17Z"))
    }

    @Test func noObservedProjectionWithoutOverInfusion() {
        var h = implanted()
        h.refill("2025-01-26T00:00:00Z", residual: 14)
        let s = h.status("2025-01-27T00:00:00Z")
        #expect(s.observedRateMlPerDay == nil)
        #expect(s.json["reservoir"]?["observedRateMlPerDay"] == nil)
    }

    // MARK: a dry reservoir

    @Test func reservoirRanDryForFourteenDaysWithItsInterval() {
        // Empty after 40 days (2025-02-15); refilled 2025-02-20 with 0 left: dry 02-15 -> 02-20, 5 days.
        var h = implanted()
        let refill = h.refill("2025-02-20T00:00:00Z", residual: 0)
        let s = h.status("2025-02-20T00:00:00Z")
        let alert = s.alert("reservoir-ran-dry")
        #expect(alert?.severity == .warning)
        #expect(alert?.eventIDs == [refill])
        #expect(alert?.message.contains("from 2025-02-15T00:00:00Z") == true && alert?.message.contains("5.0 days") == true, "\(String(describing: alert))")
        #expect(h.status(at("2025-02-20T00:00:00Z", seconds: 14 * 86_400 - 1)).alert("reservoir-ran-dry") != nil)
        #expect(h.status(at("2025-02-20T00:00:00Z", seconds: 14 * 86_400)).alert("reservoir-ran-dry") == nil)
        let entry = Projector.timeline(events: h.events, asOf: nil, knownAt: nil).first { $0.event.id == refill }
        #expect(entry?.summary.contains("ran dry from 2025-02-15T00:00:00Z") == true, "\(String(describing: entry?.summary))")
    }

    @Test func ranDryWithAnUnknownStartWhenDrugWasExpected() {
        var h = implanted()
        let refill = h.refill("2025-01-26T00:00:00Z", residual: 0)
        let alert = h.status("2025-01-26T00:00:00Z").alert("reservoir-ran-dry")
        #expect(alert?.message.contains("unknown") == true, "\(String(describing: alert))")
        #expect(h.status("2025-01-26T00:00:00Z").alert("refill-over-infusion") != nil, "0 left of 10 expected is also over-infusion")
        let entry = Projector.timeline(events: h.events, asOf: nil, knownAt: nil).first { $0.event.id == refill }
        #expect(entry?.summary.contains("unknown") == true)
        // The threshold is what the record shows: 0.00 mL. 0.004 reads 0.00 (dry), 0.005 and 0.01 read 0.01 (not dry).
        for (residual, dry) in [(0.004, true), (0.005, false), (0.01, false)] {
            var r = implanted()
            r.refill("2025-01-26T00:00:00Z", residual: residual)
            #expect((r.status("2025-01-26T00:00:00Z").alert("reservoir-ran-dry") != nil) == dry, "residual \(residual)")
        }
    }

    // MARK: bridge bolus

    @Test func bridgeBolusMissingFromAnHourAfterTheRefillForADay() {
        var h = implanted()
        let refill = h.refill("2025-01-16T00:00:00Z", residual: 15, conc: 1000)
        h.program("2025-01-16T00:10:00Z", 1000)
        let t = "2025-01-16T00:00:00Z"
        #expect(h.status(at(t, seconds: 3600)).alert("bridge-bolus-missing") == nil)
        #expect(h.status(at(t, seconds: 3601)).alert("bridge-bolus-missing")?.eventIDs == [refill])
        #expect(h.status(at(t, seconds: 86_399)).alert("bridge-bolus-missing")?.severity == .warning)
        #expect(h.status(at(t, seconds: 86_400)).alert("bridge-bolus-missing") == nil)
        h.add(.bolusDelivered, at(t, seconds: 7200), EventFacts(bolusMcg: 50, label: "bridge"))
        #expect(h.status(at(t, seconds: 7199)).alert("bridge-bolus-missing") != nil)
        #expect(h.status(at(t, seconds: 7200)).alert("bridge-bolus-missing") == nil)
    }

    @Test func aBridgeBolusWithinTheHourOrNoConcentrationChangeRaisesNothing() {
        var h = implanted()
        h.refill("2025-01-16T00:00:00Z", residual: 15, conc: 1000)
        h.add(.bolusDelivered, "2025-01-16T00:30:00Z", EventFacts(bolusMcg: 50, label: "bridge"))
        #expect(h.status("2025-01-16T02:00:00Z").alert("bridge-bolus-missing") == nil)
        var same = implanted()
        same.refill("2025-01-16T00:00:00Z", residual: 15, conc: 2000)
        #expect(same.status("2025-01-16T02:00:00Z").alert("bridge-bolus-missing") == nil)
    }

    // MARK: devices

    @Test func endOfLifeFollowsTheCatalogueAndNamesTheModel() {
        let sevenYears = ts("2025-01-06T00:00:00Z").adding(days: 7 * 365.25).iso8601
        for model in ["Prometra II", "Acme Flow 3000"] {
            #expect(implanted(model: model, dose: 200).status(sevenYears).alert("pump-end-of-life") == nil, "\(model)")
        }
        let s = implanted(model: "SynchroMed II 8637-40", dose: 200).status(sevenYears).alert("pump-end-of-life")
        #expect(s?.severity == .critical)
        #expect(s?.message.contains("(SynchroMed II 8637-40)") == true, "\(String(describing: s))")
        #expect(DeviceCatalogue.model(for: "8637-20")?.name == "SynchroMed II")
        #expect(DeviceCatalogue.model(for: "PROMETRA")?.battery == nil)
        #expect(DeviceCatalogue.model(for: "SynchroMed EL") == nil)
    }

    @Test func theCatalogueFileEqualsTheSwiftTable() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: rootPath("schemas/devices/catalogue.json")))
        let file = try JSONParser.parse(Array(data))
        guard case .array(let models) = file["models"] else { throw TestFailure("no models array") }
        #expect(models.count == DeviceCatalogue.models.count)
        for (m, swift) in zip(models, DeviceCatalogue.models) {
            #expect(m["name"]?.stringValue == swift.name)
            #expect(m["manufacturer"]?.stringValue == swift.manufacturer)
            #expect(m["match"] == .array(swift.match.map(JSONValue.string)))
            #expect(m["capacitiesMl"] == .array(swift.capacitiesMl.map(JSONValue.number)))
            #expect(m["defaultLowAlarmMl"] == .number(swift.defaultLowAlarmMl))
            #expect(m["source"]?.stringValue == swift.source)
            let battery: JSONValue = swift.battery.map { .object(["warningYears": .number($0.warningYears), "criticalYears": .number($0.criticalYears), "eriToStopDays": .number($0.eriToStopDays)]) } ?? .null
            #expect(m["battery"] == battery)
        }
    }

    @Test func aReplacementWithoutLowAlarmKeepsThePatientsSetting() {
        var h = implanted(lowAlarm: 4.0)
        h.add(.pumpReplaced, "2025-01-20T00:00:00Z", EventFacts(dailyDoseMcg: 1000, concentrationMcgPerMl: 2000, volumeMl: 20, reservoirMl: 20, label: "baclofen", label2: "SynchroMed II"))
        #expect(h.status("2025-01-21T00:00:00Z").pump?.lowAlarmMl == 4.0)
        h.add(.pumpReplaced, "2025-01-25T00:00:00Z", EventFacts(dailyDoseMcg: 1000, concentrationMcgPerMl: 2000, volumeMl: 20, reservoirMl: 20, lowAlarmMl: 3.0, label: "baclofen", label2: "SynchroMed II"))
        #expect(h.status("2025-01-26T00:00:00Z").pump?.lowAlarmMl == 3.0)
        #expect(implanted().status("2025-01-07T00:00:00Z").pump?.lowAlarmMl == 2.0, "a first implant takes the catalogue's default")
    }

    @Test func eriIsCriticalWithTheStopDateAndClosesOnReplacement() {
        var h = implanted()
        let eri = h.add(.pumpInterrogated, "2025-01-10T00:00:00Z", EventFacts(label: "elective-replacement-indicator"))
        let alert = h.status("2025-01-10T00:00:00Z").alert("pump-eri")
        #expect(alert?.severity == .critical)
        #expect(alert?.eventIDs == [eri])
        #expect(alert?.message.contains("stops about 2025-04-10") == true, "90 days after 01-10: \(String(describing: alert))")
        #expect(h.status("2025-01-09T23:59:59Z").alert("pump-eri") == nil)
        h.add(.pumpReplaced, "2025-02-01T00:00:00Z", EventFacts(dailyDoseMcg: 1000, concentrationMcgPerMl: 2000, volumeMl: 20, reservoirMl: 20, label: "baclofen", label2: "SynchroMed II"))
        #expect(h.status("2025-02-01T00:00:00Z").alert("pump-eri") == nil)
    }

    @Test(arguments: ["motor-stall", "critical-alarm"])
    func aStallOrCriticalAlarmIsADeliveryProblemUntilNoAlarm(finding: String) {
        var h = implanted()
        let stall = h.add(.pumpInterrogated, "2025-01-10T00:00:00Z", EventFacts(label: finding))
        #expect(h.status("2025-01-10T00:00:00Z").alert("delivery-problem")?.eventIDs == [stall])
        #expect(h.status("2025-01-10T00:00:00Z").alert("delivery-problem")?.severity == .critical)
        h.add(.pumpInterrogated, "2025-01-11T00:00:00Z", EventFacts(label: "no-alarm"))
        #expect(h.status("2025-01-11T00:00:00Z").alert("delivery-problem") == nil)
    }

    @Test func lowReservoirAlarmAndEndOfService() {
        var h = implanted()
        h.add(.pumpInterrogated, "2025-01-10T00:00:00Z", EventFacts(label: "low-reservoir-alarm"))
        #expect(h.status("2025-01-10T00:00:00Z").alert("pump-low-reservoir-alarm")?.severity == .warning)
        h.refill("2025-01-11T00:00:00Z", residual: 17.5)
        #expect(h.status("2025-01-11T00:00:00Z").alert("pump-low-reservoir-alarm") == nil)
        h.add(.pumpInterrogated, "2025-01-12T00:00:00Z", EventFacts(label: "end-of-service"))
        #expect(h.status("2025-01-12T00:00:00Z").alert("pump-end-of-service")?.severity == .critical)
    }

    @Test func anInterrogationNeedsAPumpInPlace() {
        let line = event("pump.interrogated", at: "2025-01-15T09:00:00Z", data: .object(["finding": .string("no-alarm")]))
        #expect(validateBatch([enrol(), line]).errors.contains { $0.field == "occurredAt" })
        #expect(validateBatch([enrol(), implant(at: "2025-01-10T09:00:00Z"), line]).entries != nil)
    }

    // MARK: acknowledgement

    @Test func anAcknowledgementMarksTheAlertUntilItLapses() {
        var h = implanted()
        let report = h.add(.adverseEventReported, "2025-01-10T00:00:00Z", EventFacts(grade: 2, serious: false, label: "withdrawal"))
        h.add(.alertAcknowledged, "2025-01-10T01:00:00Z", EventFacts(nextRefillDue: ts("2025-01-12T00:00:00Z"), label: "delivery-problem", refs: [report]))
        #expect(h.status("2025-01-10T00:59:59Z").alert("delivery-problem")?.acknowledgement == nil)
        let acked = h.status("2025-01-10T01:00:00Z").alert("delivery-problem")
        #expect(acked?.acknowledgement?.until == ts("2025-01-12T00:00:00Z"))
        #expect(acked?.severity == .critical)
        #expect(h.status("2025-01-11T23:59:59Z").alert("delivery-problem")?.acknowledgement != nil)
        #expect(h.status("2025-01-12T00:00:00Z").alert("delivery-problem")?.acknowledgement == nil)
        let json = h.status("2025-01-11T00:00:00Z").json["alerts"]
        #expect(CanonicalJSON.string(json ?? .null).contains("\"acknowledged\":{\"at\":\"2025-01-10T01:00:00Z\",\"by\":\"dr.test\""))
    }

    @Test func anAcknowledgementOfOtherEventsOrAnotherCodeDoesNotApply() {
        var h = implanted()
        let report = h.add(.adverseEventReported, "2025-01-10T00:00:00Z", EventFacts(grade: 2, serious: false, label: "withdrawal"))
        h.add(.alertAcknowledged, "2025-01-10T01:00:00Z", EventFacts(label: "overdose-suspected", refs: [report]))
        h.add(.alertAcknowledged, "2025-01-10T01:00:00Z", EventFacts(label: "delivery-problem", refs: [pid(1)]))
        #expect(h.status("2025-01-11T00:00:00Z").alert("delivery-problem")?.acknowledgement == nil)
    }

    @Test func acknowledgementValidation() {
        let report = "01950000-0000-7000-8000-00000000aaa2"
        let ae = event("adverse-event.reported", id: report, data: .object(["category": .string("withdrawal"), "grade": .number(2), "serious": .bool(false)]))
        func ack(_ data: JSONValue, reason: String? = "seen", patient: String = "P001") -> String {
            event("alert.acknowledged", patient: patient, at: "2025-03-01T10:00:00Z", reason: reason, data: data)
        }
        let good: JSONValue = .object(["code": .string("delivery-problem"), "events": .array([.string(report)]), "until": .string("2025-03-02T10:00:00+01:00")])
        #expect(validateBatch([enrol(), ae, ack(good)]).entries != nil)
        #expect(validateBatch([enrol(), ae, ack(good, reason: nil)]).errors.contains { $0.field == "reason" })
        let early: JSONValue = .object(["code": .string("delivery-problem"), "events": .array([.string(report)]), "until": .string("2025-03-01T10:00:00Z")])
        #expect(validateBatch([enrol(), ae, ack(early)]).errors.contains { $0.field == "data.until" })
        let unknown: JSONValue = .object(["code": .string("delivery-problem"), "events": .array([.string("01950000-0000-7000-8000-00000000bbbb")])])
        #expect(validateBatch([enrol(), ae, ack(unknown)]).errors.contains { $0.field == "data.events[0]" })
        #expect(validateBatch([enrol(), enrol("P002"), ae, ack(good, patient: "P002")]).errors.contains { $0.field == "data.events[0]" })
    }

    // MARK: worklist order

    /// The issue's case: on the same severity, the patient who runs out first comes first, whatever the refill due dates.
    @Test func worklistRanksByEmptyTimeBeforeTheRefillDueDate() {
        var soon = implanted()
        soon.patient = "P-SOON"
        soon.refill("2025-01-16T00:00:00Z", residual: 15, due: "2025-03-30")  // empty 02-25, due late
        var late = implanted(dose: 500)
        late.patient = "P-LATE"
        late.refill("2025-01-16T00:00:00Z", residual: 17.5, due: "2025-02-01")  // 0.25 mL/day: empty 04-06, due early
        var a = Projector.status(patient: "P-SOON", events: soon.events.map { var e = $0; e.patient = "P-SOON"; return e }, asOf: ts("2025-01-20T00:00:00Z"), knownAt: nil)
        var b = Projector.status(patient: "P-LATE", events: late.events.map { var e = $0; e.patient = "P-LATE"; return e }, asOf: ts("2025-01-20T00:00:00Z"), knownAt: nil)
        a.alerts = []
        b.alerts = []
        #expect(WorklistOrder.precedes(a, b))
        #expect(!WorklistOrder.precedes(b, a))
        // Equal empty and low-alarm times: the refill due date breaks the tie.
        var c = a
        c.patient = "P-C"
        c.nextRefillDue = ts("2025-03-01T00:00:00Z")
        #expect(WorklistOrder.precedes(c, a))
    }

    @Test func acknowledgedAlertsRankBelowUnacknowledgedOfTheSameSeverityOnly() {
        let base = implanted().status("2025-01-20T00:00:00Z")
        func with(_ patient: String, _ severity: Alert.Severity, acked: Bool, emptyIn days: Double) -> PatientStatus {
            var s = base
            s.patient = patient
            s.emptyAt = ts("2025-01-20T00:00:00Z").adding(days: days)
            s.alerts = [Alert(code: "delivery-problem", severity: severity, eventIDs: [pid(1)], message: "m", raisedAt: ts("2025-01-20T00:00:00Z"),
                              acknowledgement: acked ? .init(eventID: pid(9), by: "dr", at: ts("2025-01-20T00:00:00Z"), until: nil) : nil)]
            return s
        }
        let ackedCritical = with("A", .critical, acked: true, emptyIn: 1)
        let critical = with("B", .critical, acked: false, emptyIn: 30)
        let warning = with("C", .warning, acked: false, emptyIn: 0.5)
        let sorted = [warning, ackedCritical, critical].sorted(by: WorklistOrder.precedes).map(\.patient)
        #expect(sorted == ["B", "A", "C"])
    }

    @Test func storeWorklistUsesTheOrder() throws {
        // Both at 0.05 mL/day (100 mcg/day at 2000 mcg/mL), no alert. P002 holds 10 mL (empty after 200 days), P001 20 mL
        // (400 days) with a refill due 02-10: the old order (soonest date, i.e. the due date) put P001 first.
        let ledger = try TestLedger()
        try ledger.append([enrol("P001"), enrol("P002"), implant("P001", at: "2025-02-01T09:00:00Z"), implant("P002", at: "2025-02-01T09:00:00Z", fillMl: 10),
                           event("reservoir.refilled", patient: "P001", at: "2025-02-03T09:00:00Z", data: .object([
                               "residualMl": .number(19.9), "addedMl": .number(20), "concentrationMcgPerMl": .number(2000), "nextRefillDue": .string("2025-02-10")]))])
        let store = try ledger.open()
        let list = try store.worklist(within: 500, asOf: ts("2025-02-04T00:00:00Z"))
        #expect(list.map(\.status.patient) == ["P002", "P001"], "\(list.map { ($0.status.patient, $0.status.codes, $0.status.emptyAt?.iso8601 ?? "-") })")
    }

    // MARK: explant

    @Test func explantWithdrawalWatchForSevenDays() {
        var h = implanted()
        let x = h.add(.pumpExplanted, "2025-01-20T00:00:00Z", EventFacts())
        #expect(h.status("2025-01-20T00:00:00Z").alert("explant-withdrawal-watch")?.eventIDs == [x])
        #expect(h.status(at("2025-01-20T00:00:00Z", seconds: 7 * 86_400 - 1)).alert("explant-withdrawal-watch")?.severity == .warning)
        #expect(h.status(at("2025-01-20T00:00:00Z", seconds: 7 * 86_400)).alert("explant-withdrawal-watch") == nil)
        #expect(h.status("2025-01-19T23:59:59Z").alert("explant-withdrawal-watch") == nil)
    }

    // MARK: timeline

    @Test func timelineShowsAmendedValuesAndTwoDecimalVolumes() {
        var h = implanted()
        let d = h.program("2025-01-10T00:00:00Z", 800)
        h.add(.eventCorrected, "2025-01-11T00:00:00Z", EventFacts(dailyDoseMcg: 900, label: "simple-continuous", ref: d, action: "amend"))
        h.refill("2025-01-16T00:00:00Z", residual: 4)
        let timeline = Projector.timeline(events: h.events, asOf: nil, knownAt: nil)
        let amended = timeline.first { $0.event.id == d }
        #expect(amended?.summary == "dose programmed: 900 mcg/day (simple-continuous) (amended; recorded as: dose programmed: 800 mcg/day (simple-continuous))")
        #expect(timeline.contains { $0.summary.hasPrefix("refill: residual 4.00 mL withdrawn, added 20.00 mL") }, "\(timeline.map(\.summary))")
        #expect(timeline.first?.summary != nil)
        #expect(timeline.contains { $0.summary.contains("20.00 mL reservoir, filled 20.00 mL") })
    }
}

@Suite struct TimelineTextTests {
    @Test func timelineTextShowsEventIds() throws {
        let ledger = try TestLedger()
        let implantID = "01950000-0000-7000-8000-00000000cc01"
        try ledger.append([enrol(), implant(id: implantID)])
        let r = try cli(["timeline", "--ledger", ledger.path, "--patient", "P001"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("  \(implantID)  "), "\(r.stdout)")
        #expect(r.stdout.contains("20.00 mL reservoir"), "\(r.stdout)")
    }
}
