import Foundation
import Testing
@testable import TherapyLedgerCore

/// A ledger with P001 enrolled and a 20 mL pump implanted.
private func ledgerWithPump() throws -> InMemoryLedgerContext {
    try contextHolding([enrol("P001", id: id(1)), implant("P001", id: id(2), at: "2025-02-01T09:00:00Z", reservoirMl: 20, fillMl: 20)])
}

private func refill(_ patient: String = "P001", at: String = "2025-04-01T09:00:00Z", added: Double, extra: [String: JSONValue] = [:]) -> String {
    var d: [String: JSONValue] = ["residualMl": .number(2), "addedMl": .number(added), "concentrationMcgPerMl": .number(2000)]
    for (k, v) in extra { d[k] = v }
    return event("reservoir.refilled", patient: patient, at: at, data: .object(d))
}

/// Every error of every line in one pass: a line that fails its own checks does not hide the errors found
/// against the ledger, on other lines or on itself.
@Suite struct OnePassValidationTests {
    @Test func aMalformedLineDoesNotHideLedgerErrorsOfOtherLines() throws {
        // Given a batch: a line with a bad field, a refill that overfills the pump, a dose of an unknown patient
        let outcome = validateBatch([
            dose("P001", mcg: 4000),
            refill(added: 25),
            dose("P00l", mcg: 100),
        ], context: try ledgerWithPump())
        // Then all three errors come at once
        let found = Set(outcome.errors.map { "\($0.line ?? 0) \($0.field)" })
        #expect(found == ["1 data.dailyDoseMcg", "2 data.addedMl", "3 patient"], "\(outcome.errors)")
    }

    @Test func aMalformedLineStillReportsItsUnknownPatient() throws {
        // Given a line with a typo in a field and in the patient id
        let line = event("dose.programmed", patient: "P0O1", data: json(#"{"dailyDose":110}"#))
        let outcome = validateBatch([line], context: try ledgerWithPump())
        let fields = Set(outcome.errors.map(\.field))
        // Then the unknown field, the missing one and the unknown patient are all reported
        #expect(fields == ["data.dailyDose", "data.dailyDoseMcg", "patient"], "\(outcome.errors)")
        #expect(outcome.errors.allSatisfy { $0.line == 1 })
    }

    @Test func aMalformedRefillStillReportsThatItOverfillsThePump() throws {
        // Given a refill with a bad lot and more than the 20 mL pump holds
        let line = refill(added: 25, extra: ["lot": .number(7)])
        let outcome = validateBatch([line], context: try ledgerWithPump())
        // Then both the bad field and the overfill are reported
        #expect(Set(outcome.errors.map(\.field)) == ["data.lot", "data.addedMl"], "\(outcome.errors)")
        // And a volume already refused on its own is not reported twice
        let twice = validateBatch([refill(added: 150)], context: try ledgerWithPump())
        #expect(twice.errors.map(\.field) == ["data.addedMl"], "\(twice.errors)")
    }

    @Test func aMalformedEnrolmentStillCountsForTheOtherLines() throws {
        // Given the enrolment of a new patient with a bad indication, and an implant of that patient
        let badEnrolment = event("patient.enrolled", patient: "P777", data: json(#"{"indication":"spinal","origin":"spinal"}"#))
        let outcome = validateBatch([badEnrolment, implant("P777")], context: InMemoryLedgerContext())
        // Then only the enrolment's own error is reported: the implant's patient is the one being enrolled
        #expect(outcome.errors.map(\.field) == ["data.indication"], "\(outcome.errors)")
        // And a malformed enrolment of a patient already enrolled still says so
        let again = validateBatch([event("patient.enrolled", patient: "P001", data: json(#"{"indication":"x","origin":"spinal"}"#))], context: try ledgerWithPump())
        #expect(Set(again.errors.map(\.field)) == ["data.indication", "patient"], "\(again.errors)")
    }

    @Test func aMalformedImplantDoesNotMakeLaterRefillsLookPumpless() throws {
        // Given a new patient whose implant line is malformed, and a refill after it
        let badImplant = event("pump.implanted", patient: "P002", at: "2025-03-01T09:00:00Z", data: json(#"{"pumpModel":"M","pumpSerial":"S","reservoirMl":40,"concentrationMcgPerMl":500,"fillMl":40}"#))
        let outcome = validateBatch([enrol("P002"), badImplant, refill("P002", added: 30)], context: InMemoryLedgerContext())
        // Then the implant's missing dose is the only error (the refill's pump is the one being implanted)
        #expect(outcome.errors.map { "\($0.line ?? 0) \($0.field)" } == ["2 data.dailyDoseMcg"], "\(outcome.errors)")
    }

    @Test func referencesToAMalformedLineAreNotReportedTwice() throws {
        // Given an adverse event with a bad grade, and its resolution referring to it
        let report = event("adverse-event.reported", id: id(50), data: json(#"{"category":"infection","grade":9,"serious":false}"#))
        let resolution = event("adverse-event.resolved", data: .object(["report": .string(id(50)), "outcome": .string("recovered")]))
        let outcome = validateBatch([report, resolution], context: try ledgerWithPump())
        // Then the grade is the one error: the resolution's target exists, on a line refused for its own reasons
        #expect(outcome.errors.map { "\($0.line ?? 0) \($0.field)" } == ["1 data.grade"], "\(outcome.errors)")
    }

    @Test func theStoreReportsEveryErrorOfTheBatchInOnePass() throws {
        // Given a ledger (the store validates through the same pass)
        let l = try TestLedger()
        try l.append([enrol("P001"), implant("P001", reservoirMl: 20, fillMl: 20)])
        // When a batch mixes a malformed line and a line refused by the ledger
        do {
            try l.append([dose("P001", mcg: 0), refill(added: 25)])
            Issue.record("the batch was accepted")
        } catch let rejected as BatchRejected {
            // Then both are listed, and nothing was written
            #expect(Set(rejected.errors.map { "\($0.line ?? 0) \($0.field)" }) == ["1 data.dailyDoseMcg", "2 data.addedMl"], "\(rejected)")
        }
        #expect(try l.count() == 2)
    }

    @Test(arguments: [
        ("dailyDose", "dose.programmed", "dailyDoseMcg"),
        ("dailydosemcg", "dose.programmed", "dailyDoseMcg"),
        ("resdualMl", "reservoir.refilled", "residualMl"),
        ("concentration", "reservoir.refilled", "concentrationMcgPerMl"),
        ("grde", "adverse-event.reported", "grade"),
    ])
    func unknownFieldsSuggestTheClosestAndNameTheSchema(_ key: String, _ type: String, _ suggestion: String) throws {
        var data: [String: JSONValue] = [key: .number(1)]
        if type == "dose.programmed", key != "dailydosemcg" { data["mode"] = .string("flex") }
        let outcome = validateBatch([event(type, data: .object(data))], context: try ledgerWithPump())
        let error = try #require(outcome.errors.first { $0.field == "data.\(key)" }, "\(outcome.errors)")
        #expect(error.message == "unknown field; did you mean \(suggestion)? (schemas/data/\(type).schema.json)", "\(error)")
    }

    @Test func anUnknownFieldFarFromAnyListsTheKnownOnes() throws {
        let outcome = validateBatch([event("bolus.delivered", data: json(#"{"doseMcg":50,"kind":"single","zzz":1}"#))], context: try ledgerWithPump())
        let error = try #require(outcome.errors.first { $0.field == "data.zzz" })
        #expect(error.message.hasPrefix("unknown field; expected one of"), "\(error)")
        #expect(error.message.hasSuffix("(schemas/data/bolus.delivered.schema.json)"), "\(error)")
        // Envelope fields name the submission schema.
        let envelope = validateBatch([#"{"type":"dose.programmed","patient":"P001","occuredAt":"2025-03-01T09:00:00Z","author":"a","data":{"dailyDoseMcg":1}}"#], context: try ledgerWithPump())
        #expect(envelope.errors.contains { $0.field == "occuredAt" && $0.message == "unknown field; did you mean occurredAt? (schemas/submission.schema.json)" }, "\(envelope.errors)")
    }

    @Test func closestFieldIsNilWhenNothingIsClose() {
        #expect(FieldSuggestion.closest(to: "zzz", among: ["doseMcg", "kind"]) == nil)
        #expect(FieldSuggestion.closest(to: "kid", among: ["doseMcg", "kind"]) == "kind")
        #expect(FieldSuggestion.closest(to: "dose.programed", among: EventType.allCases.map(\.rawValue)) == "dose.programmed")
    }
}
