import Foundation
import Testing
import TherapyLedgerSimulation
@testable import TherapyLedgerCore

/// The ledger the validation table runs against: P001 enrolled with a 20 mL pump, a programming
/// and an adverse event; P002 enrolled with an assessment and no pump.
private func baseContext() throws -> InMemoryLedgerContext {
    try contextHolding([
        enrol("P001", id: id(1)),
        implant("P001", id: id(2), at: "2025-02-01T09:00:00Z", reservoirMl: 20, fillMl: 20),
        dose("P001", id: id(3), at: "2025-03-01T09:00:00Z", mcg: 150),
        event("adverse-event.reported", id: id(4), data: json(#"{"category":"infection","grade":2,"serious":false}"#)),
        enrol("P002", id: id(11)),
        assessment("P002", id: id(12)),
    ])
}

private func refill(_ patient: String = "P001", at: String = "2025-04-01T09:00:00Z", residual: Double = 2, added: Double = 18, conc: Double = 2000) -> String {
    event("reservoir.refilled", patient: patient, at: at, data: .object([
        "residualMl": .number(residual), "addedMl": .number(added), "concentrationMcgPerMl": .number(conc),
    ]))
}

private func correction(_ patient: String = "P001", target: String, action: String, data: JSONValue? = nil, reason: String? = "Transcription error.") -> String {
    var d: [String: JSONValue] = ["target": .string(target), "action": .string(action)]
    if let data { d["data"] = data }
    return event("event.corrected", patient: patient, at: "2025-05-01T09:00:00Z", reason: reason, data: .object(d))
}

struct InvalidCase: Sendable, CustomTestStringConvertible {
    var name: String
    var line: String
    /// The field path the error must name.
    var field: String
    /// Whether the line is invalid on its own (so `Submission.parse` already refuses it).
    var onItsOwn: Bool
    var testDescription: String { name }
}

private let futureTime = testNow.adding(seconds: 86_400 + 1).iso8601

let invalidCases: [InvalidCase] = [
    // Clinical rules.
    InvalidCase(name: "fill larger than the reservoir", line: implant("P001", at: "2025-06-01T09:00:00Z", reservoirMl: 20, fillMl: 25), field: "data.fillMl", onItsOwn: true),
    InvalidCase(name: "addedMl larger than the ledger's pump reservoir", line: refill(added: 25), field: "data.addedMl", onItsOwn: false),
    InvalidCase(name: "residual larger than the reservoir", line: refill(residual: 21, added: 1), field: "data.residualMl", onItsOwn: false),
    InvalidCase(name: "dose over 3000", line: dose(mcg: 3001), field: "data.dailyDoseMcg", onItsOwn: true),
    InvalidCase(name: "dose of 0", line: dose(mcg: 0), field: "data.dailyDoseMcg", onItsOwn: true),
    InvalidCase(name: "bolus over 3000", line: event("bolus.delivered", data: json(#"{"doseMcg":3000.5,"kind":"single"}"#)), field: "data.doseMcg", onItsOwn: true),
    InvalidCase(name: "refill concentration 0", line: refill(conc: 0), field: "data.concentrationMcgPerMl", onItsOwn: true),
    InvalidCase(name: "implant concentration 0", line: event("pump.implanted", at: "2025-06-01T09:00:00Z", data: json(#"{"pumpModel":"M","pumpSerial":"S","reservoirMl":20,"concentrationMcgPerMl":0,"fillMl":20,"dailyDoseMcg":100}"#)), field: "data.concentrationMcgPerMl", onItsOwn: true),
    InvalidCase(name: "reservoir of 0", line: event("pump.implanted", at: "2025-06-01T09:00:00Z", data: json(#"{"pumpModel":"M","pumpSerial":"S","reservoirMl":0,"concentrationMcgPerMl":500,"fillMl":20,"dailyDoseMcg":100}"#)), field: "data.reservoirMl", onItsOwn: true),
    InvalidCase(name: "addedMl of 0", line: refill(residual: 5, added: 0), field: "data.addedMl", onItsOwn: true),
    InvalidCase(name: "negative residual", line: refill(residual: -1, added: 10), field: "data.residualMl", onItsOwn: true),
    InvalidCase(name: "occurredAt more than a day in the future", line: dose(at: futureTime), field: "occurredAt", onItsOwn: true),
    InvalidCase(name: "low alarm at the ledger pump's reservoir", line: event("dose.programmed", data: json(#"{"dailyDoseMcg":100,"lowAlarmMl":20}"#)), field: "data.lowAlarmMl", onItsOwn: false),
    InvalidCase(name: "refill with no pump implanted", line: refill("P002"), field: "occurredAt", onItsOwn: false),
    // References between events.
    InvalidCase(name: "unknown (mistyped) patient", line: dose("P00l"), field: "patient", onItsOwn: false),
    InvalidCase(name: "patient enrolled twice", line: enrol("P001"), field: "patient", onItsOwn: false),
    InvalidCase(name: "correction of an unknown event", line: correction(target: id(99), action: "void"), field: "data.target", onItsOwn: false),
    InvalidCase(name: "correction of another patient's event", line: correction("P002", target: id(3), action: "void"), field: "data.target", onItsOwn: false),
    InvalidCase(name: "amend whose data does not fit the target's type", line: correction(target: id(3), action: "amend", data: json(#"{"fillMl":10}"#)), field: "data.data.dailyDoseMcg", onItsOwn: false),
    InvalidCase(name: "amend with an out-of-range value for the target's type", line: correction(target: id(3), action: "amend", data: json(#"{"dailyDoseMcg":4000}"#)), field: "data.data.dailyDoseMcg", onItsOwn: false),
    InvalidCase(name: "void with data", line: correction(target: id(3), action: "void", data: json(#"{"dailyDoseMcg":160}"#)), field: "data.data", onItsOwn: true),
    InvalidCase(name: "amend without data", line: correction(target: id(3), action: "amend"), field: "data.data", onItsOwn: true),
    InvalidCase(name: "correction without a reason", line: correction(target: id(3), action: "void", reason: nil), field: "reason", onItsOwn: true),
    InvalidCase(name: "conflict.resolved with an unknown id", line: event("conflict.resolved", reason: "Reviewed.", data: .object(["events": .array([.string(id(3)), .string(id(98))])])), field: "data.events[1]", onItsOwn: false),
    InvalidCase(name: "conflict.resolved naming a non-dose event", line: event("conflict.resolved", reason: "Reviewed.", data: .object(["events": .array([.string(id(3)), .string(id(4))])])), field: "data.events[1]", onItsOwn: false),
    InvalidCase(name: "conflict.resolved with one id", line: event("conflict.resolved", reason: "Reviewed.", data: .object(["events": .array([.string(id(3))])])), field: "data.events", onItsOwn: true),
    InvalidCase(name: "resolution of something not an adverse event", line: event("adverse-event.resolved", data: .object(["report": .string(id(3)), "outcome": .string("recovered")])), field: "data.report", onItsOwn: false),
    InvalidCase(name: "id reused for different content", line: dose("P001", id: id(3), mcg: 151), field: "id", onItsOwn: false),
    // Shapes and types.
    InvalidCase(name: "unknown type", line: event("dose.changed", data: json(#"{"dailyDoseMcg":100}"#)), field: "type", onItsOwn: true),
    InvalidCase(name: "unknown envelope field", line: #"{"type":"dose.programmed","patient":"P001","occurredAt":"2025-03-01T09:00:00Z","author":"a","data":{"dailyDoseMcg":1},"comment":"x"}"#, field: "comment", onItsOwn: true),
    InvalidCase(name: "ledger-assigned field submitted", line: #"{"type":"dose.programmed","patient":"P001","occurredAt":"2025-03-01T09:00:00Z","author":"a","data":{"dailyDoseMcg":1},"seq":4}"#, field: "seq", onItsOwn: true),
    InvalidCase(name: "unknown data field", line: event("dose.programmed", data: json(#"{"dailyDoseMcg":100,"rate":4}"#)), field: "data.rate", onItsOwn: true),
    InvalidCase(name: "dose as a string", line: event("dose.programmed", data: json(#"{"dailyDoseMcg":"100"}"#)), field: "data.dailyDoseMcg", onItsOwn: true),
    InvalidCase(name: "missing required data field", line: event("bolus.delivered", data: json(#"{"doseMcg":50}"#)), field: "data.kind", onItsOwn: true),
    InvalidCase(name: "grade 6", line: event("adverse-event.reported", data: json(#"{"category":"other","grade":6,"serious":true}"#)), field: "data.grade", onItsOwn: true),
    InvalidCase(name: "ashworth as a number", line: event("assessment.recorded", data: json(#"{"ashworth":2}"#)), field: "data.ashworth", onItsOwn: true),
    InvalidCase(name: "assessment with no score", line: event("assessment.recorded", data: json("{}")), field: "data.ashworth", onItsOwn: true),
    InvalidCase(name: "trial bolus of 0", line: event("trial.performed", data: json(#"{"bolusMcg":0,"response":"positive"}"#)), field: "data.bolusMcg", onItsOwn: true),
    InvalidCase(name: "explant with a data field", line: event("pump.explanted", data: json(#"{"reason":"infection"}"#)), field: "data.reason", onItsOwn: true),
    InvalidCase(name: "enrolment without origin", line: event("patient.enrolled", patient: "P009", data: json(#"{"indication":"other"}"#)), field: "data.origin", onItsOwn: true),
    InvalidCase(name: "time without offset", line: dose(at: "2025-03-01T09:00:00"), field: "occurredAt", onItsOwn: true),
    InvalidCase(name: "nonzero fractional seconds", line: dose(at: "2025-03-01T09:00:00.5Z"), field: "occurredAt", onItsOwn: true),
    InvalidCase(name: "invalid date", line: dose(at: "2025-02-29T09:00:00Z"), field: "occurredAt", onItsOwn: true),
    InvalidCase(name: "id not a UUID", line: dose(id: "1234"), field: "id", onItsOwn: true),
    InvalidCase(name: "invalid nextRefillDue", line: event("reservoir.refilled", at: "2025-04-01T09:00:00Z", data: json(#"{"residualMl":1,"addedMl":5,"concentrationMcgPerMl":500,"nextRefillDue":"2025-13-01"}"#)), field: "data.nextRefillDue", onItsOwn: true),
]

@Suite struct ValidationTests {
    @Test("an invalid line is rejected naming its line and field", arguments: invalidCases)
    func invalidLine(_ c: InvalidCase) throws {
        let ctx = try baseContext()
        // The invalid line sits between two valid ones: the error must name line 2, and only line 2.
        let outcome = validateBatch([assessment(), c.line, assessment(penn: 3)], context: ctx)
        let errors = outcome.errors
        #expect(outcome.entries == nil, "accepted: \(c.line)")
        #expect(errors.contains { $0.line == 2 && $0.field == c.field }, "expected an error on line 2 naming \(c.field), got \(errors)")
        #expect(errors.allSatisfy { $0.line == 2 }, "errors on valid lines: \(errors)")
        #expect(errors.allSatisfy { !$0.message.isEmpty })
        if c.onItsOwn {
            let parsed = Submission.parse(json(c.line), line: 7, now: testNow)
            guard case .failure(let rejected) = parsed else {
                Issue.record("Submission.parse accepted \(c.line)")
                return
            }
            #expect(rejected.errors.contains { $0.line == 7 && $0.field == c.field }, "\(rejected.errors)")
        }
    }

    @Test func everyEventTypeInTheFixturesIsValid() throws {
        let lines = try fileLines(fixturePath("valid-submissions.jsonl"))
        let outcome = validateBatch(lines)
        let entries = try #require(outcome.entries, "valid fixtures rejected: \(outcome.errors)")
        #expect(entries.count == lines.count)
        #expect(entries.allSatisfy { !$0.isDuplicate })
        #expect(Set(entries.map(\.submission.type)) == Set(EventType.allCases))
        for line in lines {
            #expect(throws: Never.self) { try Submission.parse(JSONParser.parse(line), line: 1, now: testNow).get() }
        }
    }

    @Test func fixturesAreValidInAnyOrder() throws {
        let lines = try fileLines(fixturePath("valid-submissions.jsonl"))
        let reversed = validateBatch(Array(lines.reversed()))
        #expect(reversed.entries?.count == lines.count, "\(reversed.errors)")
        var rng = SeededRandom(seed: 42)
        let shuffled = validateBatch(lines.shuffled(using: &rng))
        #expect(shuffled.entries?.count == lines.count, "\(shuffled.errors)")
    }

    @Test func aCorrectionBeforeItsTargetInTheFileIsAccepted() throws {
        let outcome = validateBatch([
            correction(target: id(7), action: "amend", data: json(#"{"dailyDoseMcg":160}"#)),
            correction(target: id(8), action: "void"),
            dose("P001", id: id(7), mcg: 150),
            event("bolus.delivered", id: id(8), data: json(#"{"doseMcg":50,"kind":"single"}"#)),
            enrol("P001"),
            implant("P001"),
        ])
        let entries = try #require(outcome.entries, "\(outcome.errors)")
        // The amend's facts are those of the amended data, of the target's type.
        #expect(entries[0].submission.facts.dailyDoseMcg == 160)
        #expect(entries[0].submission.facts.action == "amend")
        #expect(entries[0].submission.facts.ref == id(7))
    }

    @Test func aRefillBeforeItsPumpInTheFileIsCheckedAgainstThatPump() {
        let ok = validateBatch([refill("P003", added: 40), implant("P003", reservoirMl: 40, fillMl: 30), enrol("P003")])
        #expect(ok.entries != nil, "\(ok.errors)")
        let over = validateBatch([refill("P003", added: 25), implant("P003", reservoirMl: 20, fillMl: 20), enrol("P003")])
        #expect(over.errors.map(\.field) == ["data.addedMl"])
        #expect(over.errors.first?.line == 1)
    }

    @Test func theReservoirIsThePumpInPlaceAtThatTime() throws {
        let ctx = try baseContext()  // P001 has a 20 mL pump since 2025-02-01
        let replacement = event("pump.replaced", at: "2025-05-01T09:00:00Z", data: json(#"{"pumpModel":"SynchroMed III","pumpSerial":"S2","reservoirMl":40,"concentrationMcgPerMl":2000,"fillMl":40,"dailyDoseMcg":150}"#))
        #expect(validateBatch([replacement, refill(at: "2025-06-01T09:00:00Z", added: 30)], context: ctx).entries != nil)
        let before = validateBatch([replacement, refill(at: "2025-04-01T09:00:00Z", added: 30)], context: ctx)
        #expect(before.errors.map(\.field) == ["data.addedMl"])
        #expect(before.errors.first?.line == 2)
    }

    @Test func residualOfZeroIsAFindingNotAnError() throws {
        let outcome = validateBatch([refill(residual: 0, added: 20)], context: try baseContext())
        let entries = try #require(outcome.entries, "\(outcome.errors)")
        #expect(entries[0].submission.facts.residualMl == 0)
        #expect(entries[0].submission.facts.volumeMl == 20)
    }

    @Test func occurredAtUpToADayAheadIsAccepted() throws {
        let ctx = try baseContext()
        #expect(validateBatch([dose(at: testNow.adding(seconds: 86_400).iso8601)], context: ctx).entries != nil)
        #expect(validateBatch([dose(at: futureTime)], context: ctx).errors.map(\.field) == ["occurredAt"])
    }

    @Test func anAmendThatFitsTheTargetsTypeIsAccepted() throws {
        let outcome = validateBatch([correction(target: id(2), action: "amend", data: json(#"{"pumpModel":"SynchroMed II","pumpSerial":"NGP2","reservoirMl":20,"concentrationMcgPerMl":1000,"fillMl":18,"dailyDoseMcg":90}"#))], context: try baseContext())
        let e = try #require(outcome.entries?.first, "\(outcome.errors)")
        #expect(e.submission.facts.reservoirMl == 20)
        #expect(e.submission.facts.volumeMl == 18)
        #expect(e.submission.facts.concentrationMcgPerMl == 1000)
    }

    @Test func anAmendWhoseDataBreaksTheTargetsClinicalRuleIsRefused() throws {
        let outcome = validateBatch([correction(target: id(2), action: "amend", data: json(#"{"pumpModel":"M","pumpSerial":"S","reservoirMl":20,"concentrationMcgPerMl":1000,"fillMl":30,"dailyDoseMcg":90}"#))], context: try baseContext())
        #expect(outcome.errors.map(\.field) == ["data.data.fillMl"])
    }

    @Test func everyErrorOfTheBatchIsReportedWithItsLine() {
        let text = [enrol("P001"), dose(mcg: 5000), "", "{not json", dose("P00l")].joined(separator: "\n")
        let errors = validateBatch(text: text).errors
        // Parse errors are reported per line (line 4 is broken JSON, line 3 is blank but counted).
        #expect(errors.contains { $0.line == 2 && $0.field == "data.dailyDoseMcg" }, "\(errors)")
        #expect(errors.contains { $0.line == 4 && $0.field == "" && $0.message.contains("invalid JSON") }, "\(errors)")
        #expect(!errors.contains { $0.line == 1 || $0.line == 3 })
    }

    @Test func anEmptyBatchIsRefused() {
        #expect(!validateBatch(text: "\n  \n").errors.isEmpty)
    }

    @Test func aDuplicateOfARecordedEventIsMarkedNotRejected() throws {
        let ctx = try baseContext()
        let outcome = validateBatch([dose("P001", id: id(3), at: "2025-03-01T09:00:00Z", mcg: 150), dose(mcg: 10)], context: ctx)
        let entries = try #require(outcome.entries, "\(outcome.errors)")
        #expect(entries.map(\.isDuplicate) == [true, false])
        // Upper-case ids are the same id.
        let upper = validateBatch([dose("P001", id: id(3).uppercased(), at: "2025-03-01T10:00:00+01:00", mcg: 150)], context: ctx)
        #expect(upper.entries?.first?.isDuplicate == true, "\(upper.errors)")
    }

    @Test func theSameIdTwiceInABatch() {
        let same = validateBatch([enrol(), implant(), dose(id: id(5)), dose(id: id(5))])
        #expect(same.entries?.map(\.isDuplicate) == [false, false, false, true])
        let different = validateBatch([enrol(), implant(), dose(id: id(5)), dose(id: id(5), mcg: 151)])
        #expect(different.errors.map { "\($0.line ?? 0):\($0.field)" } == ["4:id"])
    }

    @Test func aCorrectionCannotTargetItself() {
        let line = event("event.corrected", id: id(9), reason: "r", data: .object(["target": .string(id(9)), "action": .string("void")]))
        #expect(validateBatch([enrol(), line]).errors.map(\.field) == ["data.target"])
    }
}

