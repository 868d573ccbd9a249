import Foundation
import Testing
@testable import TherapyLedgerCore
import TherapyLedgerSimulation

/// Import validates each event on its own with ``BatchValidator/validate(single:line:context:newID:)``: it must
/// give exactly what the batch validator gives for the batch of that one line (the same entry, the same errors in
/// the same order), against any ledger. Seeded random ledgers and submissions, each checked both ways.
@Suite struct SingleEventValidationTests {
    static let patients = ["P1", "P2", "P3"]
    static let times = ["2025-01-01T09:00:00Z", "2025-02-01T09:00:00Z", "2025-03-01T09:00:00Z", "2025-04-01T09:00:00Z"]
    static let types: [EventType] = [.patientEnrolled, .pumpImplanted, .pumpReplaced, .pumpExplanted, .doseProgrammed, .reservoirRefilled,
                                     .bolusDelivered, .adverseEventReported, .eventCorrected, .assessmentRecorded]

    /// A ledger of random known events: some patients enrolled, pumps and explants at the fixed times.
    static func ledger(_ rng: inout SeededRandom, ids: [String]) -> InMemoryLedgerContext {
        var ctx = InMemoryLedgerContext()
        for p in patients {
            if rng.chance(0.7) { ctx.enrolled.insert(p) }
            for _ in 0..<rng.int(0...2) {
                let at = ts(rng.pick(times)).adding(seconds: Int64(rng.int(-1...1)) * 3600)
                ctx.pumpsByPatient[p, default: []].append((at, Double(rng.pick([10, 20, 40]))))
            }
            if rng.chance(0.3) { ctx.explantsByPatient[p, default: []].append(ts(rng.pick(times))) }
        }
        for id in ids where rng.chance(0.6) {
            ctx.events[id] = KnownEvent(id: id, type: rng.pick(types), patient: rng.pick(patients), contentDigest: String(repeating: "ab", count: 32))
        }
        return ctx
    }

    /// A random submission line: any type import can bring, referring to ids of the pool (or to itself).
    static func line(_ rng: inout SeededRandom, id: String, ids: [String]) -> String {
        let p = rng.pick(patients)
        let at = rng.pick(times)
        let ref = rng.chance(0.15) ? id : rng.pick(ids)
        switch rng.int(0...12) {
        case 0: return enrol(p, id: id, at: at)
        case 1: return implant(p, id: id, at: at, reservoirMl: Double(rng.pick([10, 20, 40])), fillMl: 10)
        case 2:
            var d: [String: JSONValue] = ["dailyDoseMcg": .number(Double(rng.int(50...400)))]
            if rng.chance(0.4) { d["lowAlarmMl"] = .number(Double(rng.pick([2, 15, 25, 45]))) }
            return event("dose.programmed", patient: p, at: at, id: id, data: .object(d))
        case 3:
            return event("reservoir.refilled", patient: p, at: at, id: id, data: .object([
                "residualMl": .number(Double(rng.pick([1, 12, 30]))), "addedMl": .number(Double(rng.pick([5, 15, 35]))),
                "concentrationMcgPerMl": .number(2000),
            ]))
        case 4: return event("bolus.delivered", patient: p, at: at, id: id, data: json(#"{"doseMcg":50,"kind":"single"}"#))
        case 5: return event("pump.interrogated", patient: p, at: at, id: id, data: json(#"{"finding":"no-alarm"}"#))
        case 6: return event("pump.explanted", patient: p, at: at, id: id)
        case 7:
            return event("event.corrected", patient: p, at: at, id: id, reason: "entered in error",
                         data: .object(["target": .string(ref), "action": .string("void")]))
        case 8:
            let amended: JSONValue = rng.chance(0.5) ? json(#"{"dailyDoseMcg":120}"#) : json(#"{"residualMl":2,"addedMl":30,"concentrationMcgPerMl":2000}"#)
            return event("event.corrected", patient: p, at: at, id: id, reason: "wrong value typed",
                         data: .object(["target": .string(ref), "action": .string("amend"), "data": amended]))
        case 9:
            return event("adverse-event.resolved", patient: p, at: at, id: id, data: .object(["report": .string(ref), "outcome": .string("recovered")]))
        case 10:
            return event("conflict.resolved", patient: p, at: at, id: id, data: .object(["events": .array([.string(ref), .string(rng.pick(ids))])]))
        case 11:
            var d: [String: JSONValue] = ["code": .string("reservoir-low"), "events": .array([.string(ref)])]
            if rng.chance(0.5) { d["until"] = .string(rng.pick(times)) }
            return event("alert.acknowledged", patient: p, at: at, id: id, data: .object(d))
        default: return assessment(p, id: id, at: at)
        }
    }

    /// What a validation gave, comparable.
    static func outcome(_ validate: () throws -> BatchValidator.Entry) -> String {
        do {
            let e = try validate()
            return "entry \(e.line) \(e.id) duplicate=\(e.isDuplicate) \(e.submission.facts) \(e.submission.type.rawValue) \(e.submission.patient)"
        } catch let rejected as BatchRejected {
            return "rejected " + rejected.errors.map { "\($0.line ?? -1) \($0.field): \($0.message)" }.joined(separator: " | ")
        } catch {
            return "error \(error)"
        }
    }

    @Test("one line alone: the same entry or errors as the batch of that line", arguments: 0..<40)
    func sameAsTheBatchOfOneLine(_ seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &+ 7_001)
        let ids = (1...6).map { id($0) }
        for _ in 0..<50 {
            let own = rng.chance(0.3) ? rng.pick(ids) : id(rng.int(100...999))
            let text = Self.line(&rng, id: own, ids: ids)
            guard case .success(let parsed) = BatchValidator.parseLine(ArraySlice(text.utf8), line: 1, now: testNow) else { continue }
            var ctx = Self.ledger(&rng, ids: ids)
            // Sometimes the ledger already holds this very submission (a repeat) under its id.
            if rng.chance(0.2) {
                ctx.events[own] = KnownEvent(id: own, type: parsed.submission.type, patient: parsed.submission.patient,
                                             contentDigest: parsed.submission.contentDigest(id: own))
            }
            let batch = Self.outcome { try BatchValidator.validate([(1, parsed.submission)], context: ctx, newID: { own }).first ?? BatchValidator.Entry(line: 0, submission: parsed.submission, id: "", isDuplicate: false) }
            let single = Self.outcome { try BatchValidator.validate(single: parsed.submission, line: 1, context: ctx, newID: { own }) }
            #expect(single == batch, "seed \(seed): \(text)\nbatch:  \(batch)\nsingle: \(single)")
        }
    }

    @Test func aSubmissionWithoutAnIdGetsTheBatchPathsGeneratedOne() throws {
        guard case .success(let parsed) = BatchValidator.parseLine(ArraySlice(assessment("P1").utf8), line: 3, now: testNow) else {
            throw TestFailure("the assessment does not parse")
        }
        var ctx = InMemoryLedgerContext()
        ctx.enrolled.insert("P1")
        let entry = try BatchValidator.validate(single: parsed.submission, line: 3, context: ctx, newID: { id(77) })
        #expect(entry.id == id(77) && entry.line == 3 && !entry.isDuplicate)
    }
}
