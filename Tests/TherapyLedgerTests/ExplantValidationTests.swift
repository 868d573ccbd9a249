import Testing
import TherapyLedgerCore

/// Events that would have no effect after an explant are refused, naming the line and the date.
@Suite struct ExplantValidationTests {
    func explant(_ patient: String = "P001", at: String) -> String {
        event("pump.explanted", patient: patient, at: at, id: nil, reason: "infection", data: .object([:]))
    }

    @Test func aRefillAfterTheExplantIsRefused() throws {
        // Given an implant and an explant; when a refill is dated after the explant
        let outcome = validateBatch([enrol(), implant(), explant(at: "2025-03-01T09:00:00Z"),
                                     event("reservoir.refilled", patient: "P001", at: "2025-03-10T09:00:00Z", id: nil,
                                           data: .object(["residualMl": .number(2), "addedMl": .number(18), "concentrationMcgPerMl": .number(500)]))])
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
                                     dose(at: "2025-04-02T09:00:00Z")])
        #expect(outcome.entries?.count == 5, "\(outcome.errors)")
    }
}
