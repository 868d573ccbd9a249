import Testing
import TherapyLedgerCore

/// Events that would have no effect after an explant are refused, naming the line and the date.
@Suite struct ExplantValidationTests {
    func explant(_ patient: String = "P001", at: String) -> String {
        event("pump.explanted", patient: patient, at: at, id: nil, reason: "infection", data: .object([:]))
    }

    func refill(at: String) -> String {
        event("reservoir.refilled", patient: "P001", at: at, id: nil,
              data: .object(["residualMl": .number(2), "addedMl": .number(18), "concentrationMcgPerMl": .number(500)]))
    }

    @Test func aRefillAfterTheExplantIsRefused() throws {
        // Given an implant and an explant; when a refill is dated after the explant
        let outcome = validateBatch([enrol(), implant(), explant(at: "2025-03-01T09:00:00Z"), refill(at: "2025-03-10T09:00:00Z")])
        // Then the refill's line is refused on occurredAt, naming the explant time
        let errors = outcome.errors
        #expect(errors.count == 1)
        #expect(errors.first?.line == 4)
        #expect(errors.first?.field == "occurredAt")
        #expect(errors.first?.message.contains("explanted at 2025-03-01T09:00:00Z") == true)
    }

    @Test func aProgrammingAfterTheExplantIsRefusedButOneBeforeItIsNot() {
        let after = validateBatch([enrol(), implant(), explant(at: "2025-03-01T09:00:00Z"), dose(at: "2025-03-02T09:00:00Z")])
        #expect(after.errors.map(\.field) == ["occurredAt"])
        let before = validateBatch([enrol(), implant(), explant(at: "2025-03-01T09:00:00Z"), dose(at: "2025-02-20T09:00:00Z")])
        #expect(before.entries?.count == 4)
    }

    @Test func aReimplantAfterTheExplantAllowsRefillsAgain() {
        let outcome = validateBatch([enrol(), implant(), explant(at: "2025-03-01T09:00:00Z"), implant(at: "2025-04-01T09:00:00Z"),
                                     refill(at: "2025-04-02T09:00:00Z"), dose(at: "2025-04-02T10:00:00Z")])
        #expect(outcome.entries?.count == 6, "\(outcome.errors)")
    }
}

/// A pump replacement's starting dose is held to the same titration limits as a programming.
@Suite struct ReplacementDoseStepTests {
    func projectionEvent(_ n: Int, _ type: EventType, at: String, facts: EventFacts) -> ProjectionEvent {
        ProjectionEvent(id: id(n), type: type, patient: "P001", occurredAt: Timestamp.parse(at) ?? Timestamp(seconds: 0),
                        recordedAt: Timestamp(seconds: 0), site: "north", seq: Int64(n), clock: VectorClock(["north": Int64(n)]), facts: facts)
    }

    func history(replacementDose: Double) -> [ProjectionEvent] {
        let pump = { (dose: Double) in
            EventFacts(dailyDoseMcg: dose, concentrationMcgPerMl: 500, volumeMl: 20, reservoirMl: 20, label2: "SynchroMed II")
        }
        return [
            projectionEvent(1, .patientEnrolled, at: "2025-01-01T09:00:00Z", facts: EventFacts(label: "spinal-cord-injury", label2: "spinal")),
            projectionEvent(2, .pumpImplanted, at: "2025-01-10T09:00:00Z", facts: pump(400)),
            projectionEvent(3, .pumpReplaced, at: "2025-02-10T09:00:00Z", facts: pump(replacementDose)),
        ]
    }

    @Test func aDoubledDoseAtReplacementIsFlagged() throws {
        let status = Projector.status(patient: "P001", events: history(replacementDose: 800),
                                      asOf: try #require(Timestamp.parse("2025-02-11T09:00:00Z")), knownAt: nil)
        let step = status.alerts.first { $0.code == "dose-step-large" }
        #expect(step?.eventIDs == [id(3)])
        #expect(step?.message.contains("from 400 to 800") == true)
    }

    @Test func theSameDoseAtReplacementIsNot() throws {
        let status = Projector.status(patient: "P001", events: history(replacementDose: 400),
                                      asOf: try #require(Timestamp.parse("2025-02-11T09:00:00Z")), knownAt: nil)
        #expect(!status.alerts.contains { $0.code == "dose-step-large" })
    }
}
