import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore
import TherapyLedgerExport
import TherapyLedgerSimulation

/// Random valid submissions at the edges of every range (issue 10, items 1 and 4): times down to
/// 1900-01-01T00:00:00Z written with every offset, quantities at their clinical limits. Whatever is accepted at
/// append verifies, exports and imports at a peer with no error and no quarantine, and every output parses.
@Suite(.serialized) struct ExtremeValuePropertyTests {
    /// A submission generator over one patient's history, in time order.
    struct Generator {
        var rng: SeededRandom
        var counter = 0

        mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }

        /// A quantity within `range`: often a limit, else anywhere in it.
        mutating func quantity(_ range: ClosedRange<Double>) -> Double {
            switch int(0...3) {
            case 0: return range.lowerBound
            case 1: return range.upperBound
            default: return (rng.uniform(range) * 1000).rounded() / 1000
            }
        }

        /// `utc` written in local time with a random offset (any, from -23:59 to +23:59).
        mutating func local(_ utc: Timestamp) -> String {
            let minutes = pick([0, 14 * 60, -(12 * 60), 23 * 60 + 59, -(23 * 60 + 59), int(-1439...1439)])
            let shifted = utc.adding(seconds: Int64(minutes) * 60)
            let text = shifted.iso8601.dropLast()  // YYYY-MM-DDTHH:MM:SS
            if minutes == 0 && int(0...1) == 0 { return text + "Z" }
            let sign = minutes < 0 ? "-" : "+"
            let m = abs(minutes)
            return text + sign + String(format: "%02d:%02d", m / 60, m % 60)
        }

        /// One patient's history: enrolment, a pump, then random events, all valid.
        mutating func history(patient p: String, start: Timestamp, now: Timestamp) -> [String] {
            var t = start
            func next() -> Timestamp {
                t = Timestamp(seconds: min(now.seconds, t.seconds + Int64(int(0...40)) * 86_400 + Int64(int(0...86_399))))
                return t
            }
            var lines = [event("patient.enrolled", patient: p, at: local(t), data: .object([
                "indication": .string(pick(DataValidator.indications)), "origin": .string(pick(["spinal", "cerebral"])),
            ]))]
            var reservoir = quantity(DataValidator.Clinical.reservoirMl)
            func pumpData() -> JSONValue {
                var d: [String: JSONValue] = [
                    "pumpModel": .string(pick(["SynchroMed II", "Prometra II", "Custom pump"])), "pumpSerial": .string("S\(counter)"),
                    "reservoirMl": .number(reservoir), "concentrationMcgPerMl": .number(quantity(DataValidator.Clinical.concentrationMcgPerMl)),
                    "fillMl": .number(quantity(DataValidator.Clinical.addedMl.lowerBound...reservoir)),
                    "dailyDoseMcg": .number(quantity(DataValidator.Clinical.dailyDoseMcg)),
                ]
                if int(0...1) == 0 { d["lowAlarmMl"] = .number(pick([0, reservoir / 2, max(0, reservoir - 0.01)])) }
                return .object(d)
            }
            lines.append(event("pump.implanted", patient: p, at: local(next()), data: pumpData()))
            for _ in 0..<int(3...12) {
                counter += 1
                let at = local(next())
                switch int(0...9) {
                case 0, 1:
                    lines.append(event("dose.programmed", patient: p, at: at, data: .object(["dailyDoseMcg": .number(quantity(DataValidator.Clinical.dailyDoseMcg))])))
                case 2, 3:
                    var d: [String: JSONValue] = [
                        "residualMl": .number(quantity(0...reservoir)), "addedMl": .number(quantity(DataValidator.Clinical.addedMl.lowerBound...reservoir)),
                        "concentrationMcgPerMl": .number(quantity(DataValidator.Clinical.concentrationMcgPerMl)),
                    ]
                    if int(0...1) == 0 { d["nextRefillDue"] = .string(t.adding(days: Double(int(0...400))).dateString) }
                    lines.append(event("reservoir.refilled", patient: p, at: at, data: .object(d)))
                case 4:
                    lines.append(event("bolus.delivered", patient: p, at: at, data: .object([
                        "doseMcg": .number(quantity(DataValidator.Clinical.bolusMcg)), "kind": .string(pick(["bridge", "priming", "single", "patient"]))])))
                case 5:
                    let grade = int(1...5)
                    lines.append(event("adverse-event.reported", patient: p, at: at, data: .object([
                        "category": .string(pick(DataValidator.adverseEventCategories)), "grade": .number(Double(grade)), "serious": .bool(grade >= 4 || int(0...1) == 0)])))
                case 6:
                    lines.append(event("assessment.recorded", patient: p, at: at, data: .object(["pennSpasmFrequency": .number(Double(int(0...4)))])))
                case 7:
                    lines.append(event("pump.interrogated", patient: p, at: at, data: .object(["finding": .string(pick(DataValidator.interrogationFindings))])))
                case 8:
                    reservoir = quantity(DataValidator.Clinical.reservoirMl)
                    lines.append(event("pump.replaced", patient: p, at: at, data: pumpData()))
                default:
                    lines.append(event("trial.performed", patient: p, at: at, data: .object([
                        "bolusMcg": .number(quantity(DataValidator.Clinical.bolusMcg)), "response": .string(pick(["positive", "negative", "equivocal"]))])))
                }
            }
            if int(0...4) == 0 { lines.append(event("pump.explanted", patient: p, at: local(next()), data: nil)) }
            return lines
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func extremeValidSubmissionsGoThroughEverything(seed: UInt64) throws {
        var g = Generator(rng: SeededRandom(seed: seed))
        let north = try SyncSite("north", index: 1)
        let south = try SyncSite("south", index: 2)
        var patients: [String] = []
        for k in 0..<6 {
            let p = "X\(seed)-\(k)"
            patients.append(p)
            // The first patient starts at the earliest instant accepted; the others anywhere from 1900 to now.
            let start = k == 0 ? Timestamp.acceptedRange.lowerBound
                : Timestamp(seconds: Timestamp.acceptedRange.lowerBound.seconds + Int64(g.rng.uniform(0...1) * Double(testNow.seconds - Timestamp.acceptedRange.lowerBound.seconds)))
            let lines = g.history(patient: p, start: start, now: testNow)
            do {
                try north.append(lines)
            } catch {
                Issue.record("seed \(seed): valid submissions were refused: \(error)\n\(lines.joined(separator: "\n"))")
                return
            }
        }
        // Verify, export, import at a peer: no error, nothing quarantined, and the peer verifies.
        let verified = try north.store.verify()
        #expect(verified.isOK && verified.notes.isEmpty, "\(verified.problems) \(verified.notes)")
        let bundles = TempDir(inMemory: true)
        let report = try south.store.importBundle(from: north.export(to: bundles))
        #expect(report.quarantined.isEmpty, "seed \(seed): \(report.quarantined)")
        #expect(try south.store.verify().isOK)
        #expect(try south.store.eventCount() == (try north.store.eventCount()))

        // Every output parses: status, timeline, worklist as JSON; every CSV export.
        try requireCLI()
        for p in patients {
            for asOf in ["1900-01-02", "9999-12-31"] {
                let s = try cli(["status", "--ledger", south.path, "--patient", p, "--json", "--as-of", asOf])
                #expect(s.status == 0, "\(s)")
                try expectParsableJSON(s.stdout)
            }
            let t = try cli(["timeline", "--ledger", south.path, "--patient", p, "--json"])
            #expect(t.status == 0, "\(t)")
            try expectParsableJSON(t.stdout)
        }
        let w = try cli(["worklist", "--ledger", south.path, "--json", "--as-of", "2025-10-01"])
        #expect(w.status == 0, "\(w)")
        try expectParsableJSON(w.stdout)
        for kind in ExportKind.allCases {
            let r = try cli(["export", kind.rawValue, "--ledger", south.path, "--out", "-", "--as-of", "2025-10-01"])
            #expect(r.status == 0, "\(kind): \(r)")
            let cells = r.stdout.split(separator: "\n").flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            #expect(!cells.contains { ["inf", "-inf", "nan", "-nan", "infinity"].contains($0.lowercased()) }, "\(kind) holds inf or nan")
        }
    }

    @Test func clinicalRangesKeepEveryDerivedQuantityFinite() {
        // The extreme rates: the largest dose at the weakest concentration, the smallest at the strongest.
        let fastest = DataValidator.Clinical.dailyDoseMcg.upperBound / DataValidator.Clinical.concentrationMcgPerMl.lowerBound
        let slowest = DataValidator.Clinical.dailyDoseMcg.lowerBound / DataValidator.Clinical.concentrationMcgPerMl.upperBound
        #expect(fastest == 300 && slowest == 0.0001)
        // A full reservoir at the slowest rate lasts a finite time, clamped to the latest instant written.
        let days = DataValidator.Clinical.reservoirMl.upperBound / slowest
        #expect(days.isFinite && Timestamp(seconds: 0).adding(days: days) <= Timestamp.latest)
        // And the writers never print a non-finite number.
        var o: [UInt8] = []
        CanonicalJSON.writeNumber(.infinity, into: &o)
        CanonicalJSON.writeNumber(.nan, into: &o)
        #expect(String(decoding: o, as: UTF8.self) == "nullnull")
    }

    @Test("a value outside its clinical range is refused", arguments: [
        ("pump.implanted", #"{"pumpModel":"M","pumpSerial":"S","reservoirMl":20,"concentrationMcgPerMl":5e-324,"fillMl":20,"dailyDoseMcg":100}"#, "data.concentrationMcgPerMl"),
        ("pump.implanted", #"{"pumpModel":"M","pumpSerial":"S","reservoirMl":0.5,"concentrationMcgPerMl":500,"fillMl":0.5,"dailyDoseMcg":100}"#, "data.reservoirMl"),
        ("pump.implanted", #"{"pumpModel":"M","pumpSerial":"S","reservoirMl":20,"concentrationMcgPerMl":500,"fillMl":0.001,"dailyDoseMcg":100}"#, "data.fillMl"),
        ("reservoir.refilled", #"{"residualMl":1,"addedMl":10,"concentrationMcgPerMl":9.99}"#, "data.concentrationMcgPerMl"),
        ("reservoir.refilled", #"{"residualMl":1,"addedMl":1e-300,"concentrationMcgPerMl":500}"#, "data.addedMl"),
        ("dose.programmed", #"{"dailyDoseMcg":0.5}"#, "data.dailyDoseMcg"),
        ("dose.programmed", #"{"dailyDoseMcg":1e-300}"#, "data.dailyDoseMcg"),
        ("bolus.delivered", #"{"doseMcg":0.1,"kind":"single"}"#, "data.doseMcg"),
        ("trial.performed", #"{"bolusMcg":0.01,"response":"positive"}"#, "data.bolusMcg"),
    ])
    func outsideTheClinicalRange(_ c: (String, String, String)) {
        let (type, data, field) = c
        let outcome = validateBatch([enrol(), implant(), event(type, at: "2025-03-01T09:00:00Z", data: json(data))])
        #expect(outcome.errors.map(\.field) == [field], "\(outcome.errors)")
        #expect(outcome.errors.first?.message.contains("clinical range") == true, "\(outcome.errors)")
    }
}
