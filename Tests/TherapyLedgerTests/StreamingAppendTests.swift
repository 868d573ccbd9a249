import Foundation
import GRDB
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerSimulation
@testable import TherapyLedgerStore

/// A seeded batch of lines that exercises what batch validation decides across lines: references to later lines
/// (enrolments, implants, correction and report targets after the lines that use them), exact repeats (of the
/// batch's lines and of the ledger's events), ids reused for other content, lines refused on their own, blank
/// lines and CRLF endings. `valid`: only lines that a batch accepts (no conflicts, no bad lines, no overfills).
private func seededBatch(seed: UInt64, lines count: Int, valid: Bool) -> [String] {
    var g = SeededRandom(seed: seed)
    func pick<T>(_ xs: [T]) -> T { xs[g.int(0...(xs.count - 1))] }
    func chance(_ p: Double) -> Bool { g.unit() < p }
    func day(_ d: Int) -> String {
        Timestamp.parse("2025-01-01T09:00:00Z").map { $0.adding(days: Double(d)).iso8601 } ?? "2025-01-01T09:00:00Z"
    }
    let patients = (0..<6).map { "S\(100 + $0 + Int(seed % 7) * 10)" }
    var out: [String] = []
    var ids: [(id: String, patient: String, type: String)] = []
    var nextID = Int(seed % 1000) * 10_000 + 1
    func newID() -> String { nextID += 1; return id(nextID) }
    // Every patient enrolled and implanted (somewhere in the batch: often after the lines that need them).
    for p in patients {
        let e = newID()
        out.append(enrol(p, id: e))
        ids.append((e, p, "patient.enrolled"))
        let i = newID()
        out.append(implant(p, id: i, at: day(10), reservoirMl: pick([20, 40])))
        ids.append((i, p, "pump.implanted"))
    }
    while out.count < count {
        let p = pick(patients)
        let at = day(20 + g.int(0...250))
        let own: String? = chance(0.8) ? newID() : nil
        var line: String
        var type: String
        switch g.int(0...9) {
        case 0, 1:
            type = "dose.programmed"
            line = dose(p, id: own, at: at, mcg: Double(50 + g.int(0...400)))
        case 2, 3:
            type = "reservoir.refilled"
            line = event(type, patient: p, at: at, id: own, data: .object([
                "residualMl": .number(Double(g.int(0...5))), "addedMl": .number(Double(g.int(5...(valid ? 18 : 45)))),
                "concentrationMcgPerMl": .number(2000)]))
        case 4:
            type = "assessment.recorded"
            line = assessment(p, id: own, at: at, penn: g.int(0...4))
        case 5:
            type = "adverse-event.reported"
            line = event(type, patient: p, at: at, id: own ?? newID(), data: json(#"{"category":"infection","grade":2,"serious":false}"#))
        case 6:
            // A resolution, a void or an alert acknowledgement: of an event of the batch, earlier or later.
            let reports = ids.filter { $0.type == "adverse-event.reported" && $0.patient == p }
            if let r = reports.last, chance(0.5) {
                type = "adverse-event.resolved"
                line = event(type, patient: p, at: at, id: own, data: .object(["report": .string(r.id), "outcome": .string("recovered")]))
            } else if let target = ids.filter({ $0.patient == p && $0.type == "assessment.recorded" }).last {
                type = "event.corrected"
                line = event(type, patient: p, at: at, id: own, reason: "entered in error", data: .object(["target": .string(target.id), "action": .string("void")]))
            } else {
                type = "alert.acknowledged"
                let refs = ids.filter { $0.patient == p }.suffix(2).map { JSONValue.string($0.id) }
                line = event(type, patient: p, at: at, id: own, reason: "seen", data: .object(["code": .string("reservoir-low"), "events": .array(refs)]))
            }
        case 7:
            // An exact repeat of an earlier line (a duplicate), or of an enrolment.
            guard let earlier = out.filter({ $0.contains("\"id\"") }).last, chance(0.7) else { continue }
            out.append(earlier)
            continue
        default:
            type = "bolus.delivered"
            line = event(type, patient: p, at: at, id: own, data: json(#"{"doseMcg":50,"kind":"single"}"#))
        }
        if let own { ids.append((own, p, type)) }
        if !valid {
            switch g.int(0...24) {
            case 0: line = "{\"type\":\"dose.programmed\",\"patient\":"  // malformed JSON
            case 1: line = dose(p, id: own, at: at, mcg: -5)  // refused on its own
            case 2: line = dose("X999", id: own, at: at)  // an unknown patient
            case 3: if let reused = ids.first?.id { line = dose(p, id: reused, at: at) }  // an id reused for other content
            case 4: line = "   "  // blank
            case 5: line += "\r"  // CRLF
            case 6: line = enrol(p, id: newID())  // enrolled twice
            default: break
            }
        }
        out.append(line)
    }
    // Shuffle so that lines refer to later lines (an event before its patient's enrolment, a void before its target).
    for i in stride(from: out.count - 1, to: 0, by: -1) { out.swapAt(i, g.int(0...i)) }
    return out
}

/// The streamed append (two passes, chunk by chunk, the second reading the file again) decides exactly as the
/// whole-batch validator did, and records the same bytes.
@Suite struct StreamingAppendTests {
    /// A ledger holding P-prefixed patients, and lines that repeat or conflict with its events.
    private func ledgerLines() -> [String] {
        [enrol("L001", id: id(900_001)), implant("L001", id: id(900_002), reservoirMl: 40), dose("L001", id: id(900_003), at: "2025-03-01T09:00:00Z")]
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func twoPassValidationAgreesWithTheWholeBatchValidator(seed: UInt64) throws {
        let context = try contextHolding(ledgerLines())
        for valid in [true, false] {
            var lines = seededBatch(seed: seed, lines: 120, valid: valid)
            // Repeats of the ledger's events, and an id of the ledger for other content.
            lines.insert(ledgerLines()[1], at: lines.count / 3)
            if !valid { lines.insert(dose("L001", id: id(900_003), mcg: 999), at: lines.count / 2) }
            let text = Array((lines.joined(separator: "\n") + "\n").utf8)
            func ids() -> () -> String {
                let counter = Counter()
                return { "0195eeee-0000-7000-8000-" + String(format: "%012d", counter.next()) }
            }
            let reference = Result { try ReferenceBatchValidator.validate(jsonLines: text, context: context, now: testNow, newID: ids()) }
            let twoPass = Result { try BatchValidator.validate(jsonLines: text, context: context, now: testNow, newID: ids()) }
            switch (reference, twoPass) {
            case (.success(let a), .success(let b)):
                #expect(a.map(\.line) == b.map(\.line) && a.map(\.id) == b.map(\.id) && a.map(\.isDuplicate) == b.map(\.isDuplicate))
                #expect(a.map(\.submission) == b.map(\.submission))
                #expect(valid, "seed \(seed): an invalid batch was accepted")
            case (.failure(let a as BatchRejected), .failure(let b as BatchRejected)):
                #expect(a.errors == b.errors, "seed \(seed)")
                #expect(!valid, "seed \(seed): a valid batch was refused: \(a)")
                // The kinds of error the batch is made to have: its own, and between lines.
                #expect(a.errors.contains { $0.field == "" } && a.errors.contains { $0.field == "patient" }, "seed \(seed): \(a)")
            default:
                Issue.record("seed \(seed), valid \(valid): the reference says \(reference), the two passes \(twoPass)")
            }
        }
    }

    /// Two ledgers from the same deterministic environment: one appends the batch in memory (kept parsed), the
    /// other streams it from a file in chunks of a few lines, reading it twice.
    private func bothWays(_ text: String, chunkLines: Int = 3, _ check: (Result<[AppendOutcome], Error>, Result<[AppendOutcome], Error>, LedgerStore, LedgerStore) throws -> Void) throws {
        let dir = TempDir()
        let a = try LedgerStore.create(at: dir.file("a.sqlite"), site: "north", network: "clinic", environment: testEnvironment())
        let b = try LedgerStore.create(at: dir.file("b.sqlite"), site: "north", network: "clinic", environment: testEnvironment())
        for store in [a, b] { _ = try store.append(jsonLines: Array(ledgerLines().joined(separator: "\n").utf8)) }
        let file = dir.write("batch.jsonl", text)
        let inMemory = Result { try a.append(jsonLines: Array(text.utf8), source: "batch.jsonl") }
        let streamed = Result { Array(try b.append(from: JSONLinesInput(path: file), source: "batch.jsonl", chunkLines: chunkLines, retainLines: 0)) }
        try check(inMemory, streamed, a, b)
    }

    private func bodies(_ store: LedgerStore) throws -> [String] {
        try DatabaseQueue(path: store.path).read { db in
            try String.fetchAll(db, sql: "SELECT body FROM events ORDER BY site, seq")
                + (try String.fetchAll(db, sql: "SELECT site || ' ' || seq || ' ' || hash FROM heads ORDER BY site, seq"))
        }
    }

    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func aStreamedBatchRecordsTheSameBytesAsOneInMemory(seed: UInt64) throws {
        var lines = seededBatch(seed: seed, lines: 90, valid: true)
        lines.insert(ledgerLines()[0], at: 5)  // a repeat of a ledger event
        lines.insert("", at: 7)
        try bothWays(lines.joined(separator: "\n")) { inMemory, streamed, a, b in
            let x = try inMemory.get(), y = try streamed.get()
            #expect(x == y)
            #expect(x.contains { $0.isDuplicate } && x.contains { !$0.isDuplicate })
            #expect(try bodies(a) == bodies(b))
        }
    }

    @Test(arguments: [21, 22, 23] as [UInt64])
    func aStreamedBatchIsRefusedWithTheSameErrors(seed: UInt64) throws {
        var lines = seededBatch(seed: seed, lines: 90, valid: false)
        lines.append(dose("L001", id: id(900_003), mcg: 999))  // a ledger id for other content
        lines.append(String(repeating: "x", count: Submission.Limits.maxLineBytes + 10))  // too long to keep
        lines.append(String(repeating: " ", count: Submission.Limits.maxLineBytes + 10))  // long, but blank
        try bothWays(lines.joined(separator: "\n")) { inMemory, streamed, a, b in
            guard case .failure(let x as BatchRejected) = inMemory, case .failure(let y as BatchRejected) = streamed else {
                Issue.record("not both refused: \(inMemory), \(streamed)")
                return
            }
            #expect(x.description == y.description)
            #expect(x.errors == y.errors)
            #expect(x.errors.contains { $0.message.contains("bytes long") })
            let (before, after) = (try bodies(a), try bodies(b))
            #expect(before == after)  // nothing written
        }
    }

    @Test func referencesCrossChunkBoundariesBothWays() throws {
        // Given a batch whose every line needs a line of another chunk (chunks of one line)
        let lines = [
            dose("C001", id: id(3), at: "2025-03-01T09:00:00Z"),
            event("event.corrected", patient: "C001", at: "2025-03-02T09:00:00Z", id: id(4), reason: "entered in error",
                  data: .object(["target": .string(id(5)), "action": .string("void")])),
            implant("C001", id: id(2)),
            assessment("C001", id: id(5)),
            enrol("C001", id: id(1)),
            enrol("C001", id: id(1)),  // an exact repeat of the line before
        ]
        for chunk in [1, 2, 4] {
            try bothWays(lines.joined(separator: "\r\n") + "\r\n", chunkLines: chunk) { inMemory, streamed, a, b in
                let x = try inMemory.get(), y = try streamed.get()
                #expect(x == y && x.count == 6 && x.filter(\.isDuplicate).map(\.line) == [6])
                #expect(try bodies(a) == bodies(b))
            }
        }
    }

    @Test func standardInputIsSpooledAndReadTwice() throws {
        let dir = TempDir()
        let store = try LedgerStore.create(at: dir.file("l.sqlite"), site: "north", network: "clinic", environment: testEnvironment())
        let text = Array(([dose("P001", at: "2025-03-01T09:00:00Z"), enrol("P001"), implant("P001")].joined(separator: "\n")).utf8)
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        _ = text.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        let input = try JSONLinesInput.spooling(descriptor: fds[0], name: "standard input")
        close(fds[0])
        let outcomes = try store.append(from: input, chunkLines: 1, retainLines: 0)
        #expect(outcomes.map(\.line) == [1, 2, 3] && outcomes.allSatisfy { !$0.isDuplicate })
        #expect(outcomes.map(\.seq) == [1, 2, 3])
    }

    /// `append <(zcat events.jsonl.gz)`: a named pipe can be read once, so it is copied first like standard input;
    /// a folder is refused by name.
    @Test func aNamedPipeIsSpooledAndAFolderRefused() throws {
        let dir = TempDir()
        let store = try LedgerStore.create(at: dir.file("l.sqlite"), site: "north", network: "clinic", environment: testEnvironment())
        let fifo = dir.file("events.pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let text = [enrol("P001"), implant("P001")].joined(separator: "\n") + "\n"
        let writer = Thread { try? text.write(toFile: fifo, atomically: false, encoding: .utf8) }
        writer.start()
        let outcomes = try store.append(from: JSONLinesInput(path: fifo), chunkLines: 1, retainLines: 0)
        #expect(outcomes.map(\.seq) == [1, 2])
        let folder = dir.file("a-folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(throws: StoreError.self) { try JSONLinesInput(path: folder) }
        do {
            _ = try JSONLinesInput(path: folder)
        } catch {
            #expect("\(error)".contains("a-folder") && "\(error)".contains("folder, not a file"))
        }
    }

    @Test func anEmptyInputIsRefusedAsBefore() throws {
        try bothWays("\n  \n") { inMemory, streamed, _, _ in
            guard case .failure(let x as BatchRejected) = inMemory, case .failure(let y as BatchRejected) = streamed else {
                Issue.record("not both refused")
                return
            }
            #expect(x.description == y.description && x.errors.map(\.message) == ["no events in the input"])
        }
    }

    @Test func theIDTableKeepsUUIDsAsBytesAndOtherIDsAsStrings() {
        var table = BatchIDTable()
        let uuid = "0195ffff-0000-7000-8000-00000000abcd"
        #expect(BatchIDTable.uuidBits(uuid) != nil && BatchIDTable.uuidBits(uuid.uppercased()) == nil)
        for n in 0..<5000 { _ = table.insert(id(n), line: UInt32(n), ordinal: UInt32(n), patient: 0, type: .doseProgrammed) }
        _ = table.insert("not-a-uuid", line: 9, ordinal: 5000, patient: 0, type: .doseProgrammed)
        #expect(table.find(id(4321)).map { table.id(of: $0) } == id(4321))
        #expect(table.find("not-a-uuid").map { Int(table.entries[$0].line) } == 9)
        #expect(table.find(id(6000)) == nil && table.insert(id(7), line: 1, ordinal: 1, patient: 0, type: .doseProgrammed).isNew == false)
    }
}
