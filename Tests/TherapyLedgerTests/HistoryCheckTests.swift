import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

private func pump(_ type: String = "pump.implanted", _ patient: String = "P1", id: String? = nil, at: String, reservoirMl: Double, fillMl: Double) -> String {
    event(type, patient: patient, at: at, id: id, data: pumpData(reservoirMl: reservoirMl, fillMl: fillMl))
}

private func pumpData(reservoirMl: Double, fillMl: Double) -> JSONValue {
    .object(["pumpModel": .string("SynchroMed II"), "pumpSerial": .string("NGP1"), "reservoirMl": .number(reservoirMl),
             "concentrationMcgPerMl": .number(2000), "fillMl": .number(fillMl), "dailyDoseMcg": .number(100)])
}

private func refill(_ patient: String = "P1", id: String? = nil, at: String, residualMl: Double = 1, addedMl: Double) -> String {
    event("reservoir.refilled", patient: patient, at: at, id: id, data: .object([
        "residualMl": .number(residualMl), "addedMl": .number(addedMl), "concentrationMcgPerMl": .number(2000)]))
}

private func amend(_ patient: String = "P1", target: String, data: JSONValue, at: String = "2025-06-01T09:00:00Z") -> String {
    event("event.corrected", patient: patient, at: at, reason: "wrong value typed", data: .object(["target": .string(target), "action": .string("amend"), "data": data]))
}

private func void(_ patient: String = "P1", target: String, at: String = "2025-06-01T09:00:00Z") -> String {
    event("event.corrected", patient: patient, at: at, reason: "entered in error", data: .object(["target": .string(target), "action": .string("void")]))
}

/// Corrections are checked against the effective history they produce (issue 10, item 3): append refuses
/// one that leaves an impossible state, naming the event where it appears.
@Suite struct HistoryCheckTests {
    /// P1: a 40 mL pump (id 2), a 20 mL refill (id 3), a programming (id 4), a 40 mL replacement (id 5), a refill of 35 mL (id 6).
    func ledger() throws -> TestLedger {
        let l = try TestLedger()
        try l.append([
            enrol("P1", id: id(1)), pump(id: id(2), at: "2025-02-01T09:00:00Z", reservoirMl: 40, fillMl: 40),
            refill(id: id(3), at: "2025-03-01T09:00:00Z", addedMl: 20), dose("P1", id: id(4), at: "2025-03-02T09:00:00Z", mcg: 200),
        ])
        return l
    }

    func refused(_ l: TestLedger, _ lines: [String], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try l.count()
        do {
            try l.append(lines)
            Issue.record("accepted, but the correction leaves an impossible history", sourceLocation: sourceLocation)
        } catch let r as BatchRejected {
            #expect(r.errors.contains { $0.message.contains(fragment) }, "expected \"\(fragment)\" in \(r.errors)", sourceLocation: sourceLocation)
        }
        #expect(try l.count() == before, sourceLocation: sourceLocation)
    }

    @Test func amendingAnImplantToASmallerReservoirThanALaterRefillIsRefused() throws {
        let l = try ledger()
        try refused(l, [amend(target: id(2), data: pumpData(reservoirMl: 10, fillMl: 10))], "adding 20 mL overfills the 10 mL reservoir")
        // An amend that keeps every refill possible is accepted.
        try l.append([amend(target: id(2), data: pumpData(reservoirMl: 20, fillMl: 20))])
    }

    @Test func voidingAnImplantWithLaterRefillsOrProgrammingsIsRefused() throws {
        let l = try ledger()
        try refused(l, [void(target: id(2))], "no pump is in place")
        // Voiding the later events first, then the implant, is accepted: nothing is left depending on it.
        try l.append([void(target: id(3)), void(target: id(4))])
        try l.append([void(target: id(2))])
        #expect(try l.open().status(patient: "P1", asOf: testNow).therapy == .notImplanted)
    }

    @Test func programmingOrBolusForANeverImplantedPatientIsRefused() throws {
        let l = try TestLedger()
        try l.append([enrol("P2")])
        for line in [dose("P2", mcg: 2900), event("bolus.delivered", patient: "P2", data: json(#"{"doseMcg":50,"kind":"single"}"#)),
                     event("pump.interrogated", patient: "P2", data: json(#"{"finding":"no-alarm"}"#))] {
            try refused(l, [line], "for patient P2 at this time")
        }
    }

    @Test func amendingARefillBeyondThePumpInPlaceIsRefused() throws {
        let l = try ledger()
        // A 60 mL replacement later does not make a larger refill before it possible.
        try l.append([pump("pump.replaced", id: id(5), at: "2025-04-01T09:00:00Z", reservoirMl: 60, fillMl: 60)])
        try refused(l, [amend(target: id(3), data: json(#"{"residualMl":1,"addedMl":50,"concentrationMcgPerMl":2000}"#))], "adding 50 mL overfills the 40 mL reservoir")
        try refused(l, [amend(target: id(3), data: json(#"{"residualMl":45,"addedMl":5,"concentrationMcgPerMl":2000}"#))], "a residual of 45 mL")
    }

    @Test func voidingAReplacementThatALaterRefillNeedsIsRefused() throws {
        let l = try ledger()
        try l.append([pump("pump.replaced", id: id(5), at: "2025-04-01T09:00:00Z", reservoirMl: 60, fillMl: 60), refill(id: id(6), at: "2025-05-01T09:00:00Z", addedMl: 55)])
        try refused(l, [void(target: id(5))], "adding 55 mL overfills the 40 mL reservoir")
    }

    @Test func voidingAnExplantIsAcceptedAndVoidingItsReimplantIsChecked() throws {
        let l = try ledger()
        try l.append([event("pump.explanted", patient: "P1", at: "2025-04-01T09:00:00Z", id: id(7), data: nil),
                      pump(id: id(8), at: "2025-04-02T09:00:00Z", reservoirMl: 20, fillMl: 20), refill(at: "2025-05-01T09:00:00Z", addedMl: 15)])
        // Without the re-implant, the refill after the explant has no pump.
        try refused(l, [void(target: id(8))], "no pump is in place")
        // Voiding the explant leaves the first pump in place all along: possible.
        try l.append([void(target: id(7))])
    }

    @Test func theProblemIsNamedOnTheCorrectionsLine() throws {
        let l = try ledger()
        do {
            try l.append([assessment("P1", at: "2025-06-01T09:00:00Z"), void(target: id(2))])
            Issue.record("accepted")
        } catch let r as BatchRejected {
            // The refill and the programming after the implant both lose their pump: both named, on the void's line.
            #expect(Set(r.errors.map(\.line)) == [2])
            #expect(r.errors.contains { $0.message.contains(id(3)) } && r.errors.contains { $0.message.contains(id(4)) }, "\(r.errors)")
        }
    }
    /// A later batch with no correction of its own is checked against the history its patient's earlier corrections
    /// left: batch validation reads the pumps as recorded, only the history check sees them corrected. Such a batch
    /// is checked on the patient's pump history alone (``PumpHistory``), which debug builds compare with the whole.
    @Test func newEventsAfterAnAmendedImplantAreCheckedAgainstTheAmendedReservoir() throws {
        let l = try ledger()
        try l.append([amend(target: id(2), data: pumpData(reservoirMl: 25, fillMl: 25))])
        try refused(l, [refill(at: "2025-07-01T09:00:00Z", addedMl: 30)], "adding 30 mL overfills the 25 mL reservoir")
        try refused(l, [assessment("P1", at: "2025-07-01T09:00:00Z"), refill(at: "2025-07-02T09:00:00Z", residualMl: 26, addedMl: 1)], "a residual of 26 mL")
        try l.append([refill(at: "2025-07-01T09:00:00Z", addedMl: 20), assessment("P1", at: "2025-07-02T09:00:00Z")])
        // A replacement in the batch changes the pump for what follows it: the whole history is checked.
        try l.append([pump("pump.replaced", at: "2025-08-01T09:00:00Z", reservoirMl: 40, fillMl: 40), refill(at: "2025-09-01T09:00:00Z", addedMl: 35)])
        try refused(l, [refill(at: "2025-07-15T09:00:00Z", addedMl: 30)], "adding 30 mL overfills the 25 mL reservoir")
    }

    /// A pump event in a later batch changes the pump of the events after it, old ones included: those are checked too.
    @Test func aBackdatedReplacementAfterACorrectionIsCheckedAgainstTheEventsAfterIt() throws {
        let l = try ledger()
        try l.append([amend(target: id(2), data: pumpData(reservoirMl: 30, fillMl: 30))])
        try refused(l, [pump("pump.replaced", at: "2025-02-15T09:00:00Z", reservoirMl: 10, fillMl: 10)], "adding 20 mL overfills the 10 mL reservoir")
        // The error is the replacement's (the batch corrects nothing): its line, and the event it leaves impossible.
        do {
            try l.append([assessment("P1", at: "2025-02-10T09:00:00Z"), pump("pump.replaced", at: "2025-02-15T09:00:00Z", reservoirMl: 10, fillMl: 10)])
            Issue.record("accepted")
        } catch let r as BatchRejected {
            #expect(r.errors.map(\.line) == [2], "\(r.errors)")
            #expect(r.errors.allSatisfy { $0.message.contains("this pump event changes the pump in place") && $0.message.contains(id(3)) }, "\(r.errors)")
        }
        try l.append([pump("pump.replaced", at: "2025-02-15T09:00:00Z", reservoirMl: 30, fillMl: 30)])
    }

    @Test func newEventsAfterAVoidedImplantFindNoPump() throws {
        let l = try ledger()
        try l.append([void(target: id(3)), void(target: id(4))])
        try l.append([void(target: id(2))])
        for line in [refill(at: "2025-07-01T09:00:00Z", addedMl: 10), dose("P1", at: "2025-07-01T09:00:00Z", mcg: 200)] {
            try refused(l, [line], "no pump is in place")
        }
        // Other patients' events in the same batch are checked as usual, and a new implant gives the pump back.
        try l.append([enrol("P3"), pump("pump.implanted", "P3", at: "2025-07-01T09:00:00Z", reservoirMl: 20, fillMl: 20)])
        try refused(l, [refill("P3", at: "2025-07-02T09:00:00Z", addedMl: 10), refill(at: "2025-07-02T09:00:00Z", addedMl: 10)], "no pump is in place")
        try l.append([pump(at: "2025-07-03T09:00:00Z", reservoirMl: 20, fillMl: 20), refill(at: "2025-07-04T09:00:00Z", addedMl: 10)])
        try l.append([refill(at: "2025-08-01T09:00:00Z", addedMl: 10)])
    }
}
