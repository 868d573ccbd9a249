import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

@Suite struct AppendTests {
    @Test func atomicBatchOneBadLineWritesNothing() throws {
        let l = try TestLedger()
        try l.append([enrol(), implant()])
        let headsBefore = try sqliteValue(l.path, "SELECT COUNT(*) FROM heads")
        var rejected: BatchRejected?
        do {
            try l.append([dose(mcg: 110), dose(mcg: 120), dose(mcg: 3500), dose(mcg: 130)])
        } catch let e as BatchRejected {
            rejected = e
        }
        let e = try #require(rejected, "a batch with an invalid line was accepted")
        #expect(e.errors.map { "\($0.line ?? 0):\($0.field)" } == ["3:data.dailyDoseMcg"])
        #expect(e.description.contains("nothing written"))
        #expect(try l.count() == 2)
        #expect(try sqliteValue(l.path, "SELECT COUNT(*) FROM heads") == headsBefore)
        // The next good batch continues the seqs without a gap.
        let out = try l.append([dose(mcg: 140)])
        #expect(out.map(\.seq) == [3])
    }

    @Test func atomicBatchThroughTheCLI() throws {
        let dir = TempDir()
        let ledger = dir.file("l.sqlite")
        try #require(try cli(["init", "--ledger", ledger, "--site", "north"]).status == 0)
        try #require(try cli(["append", "--ledger", ledger, "-"], stdin: enrol() + "\n").status == 0)
        let bad = dir.write("bad.jsonl", [dose(mcg: 100), event("dose.programmed", data: json(#"{"dailyDoseMcg":100,"fillMl":3}"#)), dose(mcg: 101)].joined(separator: "\n"))
        let r = try cli(["append", "--ledger", ledger, bad])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("line 2"), "\(r)")
        #expect(r.stderr.contains("data.fillMl"), "\(r)")
        #expect(r.stdout.isEmpty)
        #expect(try sqliteValue(ledger, "SELECT COUNT(*) FROM events") == "1")
    }

    @Test func duplicateIdWithSameContentIsReportedAndNotWritten() throws {
        let l = try TestLedger()
        let first = try l.append([enrol(id: id(1)), implant(), dose(id: id(2), mcg: 100)])
        #expect(first.map(\.isDuplicate) == [false, false, false])
        let heads = try sqliteValue(l.path, "SELECT COUNT(*) FROM heads")
        // Same content, written differently (other offset, other key order, upper-case id).
        let again = #"{"data":{"dailyDoseMcg":100},"author":"dr.test","patient":"P001","type":"dose.programmed","occurredAt":"2025-03-01T10:00:00+01:00","id":"\#(id(2).uppercased())"}"#
        let out = try l.open().append(jsonLines: Array(again.utf8))
        #expect(out.count == 1)
        #expect(out[0].isDuplicate)
        #expect(out[0].id == id(2))
        #expect(out[0].seq == nil)
        #expect(try l.count() == 3)
        #expect(try sqliteValue(l.path, "SELECT COUNT(*) FROM heads") == heads, "a batch of duplicates only must not sign a head")
        // A batch mixing a duplicate and a new event records only the new one.
        let mixed = try l.append([dose(id: id(2), mcg: 100), dose(id: id(3), mcg: 120)])
        #expect(mixed.map(\.isDuplicate) == [true, false])
        #expect(mixed.map(\.seq) == [nil, 4])
    }

    @Test func duplicateIdThroughTheCLI() throws {
        let dir = TempDir()
        let ledger = dir.file("l.sqlite")
        try #require(try cli(["init", "--ledger", ledger, "--site", "north"]).status == 0)
        let file = dir.write("a.jsonl", enrol(id: id(1)) + "\n")
        let first = try cli(["append", "--ledger", ledger, file])
        #expect(first.stdout == "appended \(id(1)) north:1\n", "\(first)")
        let second = try cli(["append", "--ledger", ledger, file])
        #expect(second.status == 0)
        #expect(second.stdout == "duplicate \(id(1))\n", "\(second)")
        let asJSON = try cli(["append", "--ledger", ledger, "--json", file])
        #expect(asJSON.stdout == #"{"id":"\#(id(1))","line":1,"status":"duplicate"}"# + "\n")
    }

    @Test func duplicateIdWithDifferentContentIsRejected() throws {
        let l = try TestLedger()
        try l.append([enrol(id: id(1)), implant(), dose(id: id(2), mcg: 100)])
        #expect {
            try l.append([dose(id: id(4), mcg: 10), dose(id: id(2), mcg: 101)])
        } throws: { e in
            guard let r = e as? BatchRejected else { return false }
            return r.errors.map { "\($0.line ?? 0):\($0.field)" } == ["2:id"]
        }
        #expect(try l.count() == 3)
    }

    @Test func seqsAreContinuousAndClocksChainsAndHeadsAreRight() throws {
        let l = try TestLedger()
        var all: [AppendOutcome] = []
        all += try l.append([enrol(), implant()])
        all += try l.append([dose(mcg: 102)])
        all += try l.append((0..<7).map { dose(mcg: Double(110 + $0)) })
        #expect(all.compactMap(\.seq) == Array(1...10))
        #expect(all.allSatisfy { $0.site == "north" })

        let events = try l.open().recordedEvents(patient: "P001")
        #expect(events.map(\.seq) == Array(1...10))
        var prev = ChainHash.genesis
        for e in events {
            #expect(e.site == "north")
            #expect(e.clock == VectorClock(["north": e.seq]), "clock of seq \(e.seq): \(e.clock)")
            #expect(e.prev == prev, "prev of seq \(e.seq)")
            #expect(e.hash == ChainHash.eventHash(prev: e.prev, canonical: e.canonical))
            #expect(e.recordedAt == testNow)
            prev = e.hash
        }
        // The stored hash column equals the recomputed one.
        let stored = try sqliteValue(l.path, "SELECT hash FROM events WHERE seq = 10")
        #expect(stored == events.last?.hash)
        #expect(try l.open().clock() == VectorClock(["north": 10]))

        // One signed head per batch, at the batch's last seq, valid under the pinned key.
        let heads = try sqliteValue(l.path, "SELECT group_concat(seq) FROM (SELECT seq FROM heads ORDER BY seq)")
        #expect(heads == "2,3,10")
        let file = try l.open().headsFile()
        #expect(file.network == "test")
        #expect(file.heads.count == 1)
        let (head, key) = try #require(file.heads.first)
        #expect(head.seq == 10)
        #expect(head.hash == events.last?.hash)
        #expect(head.isValid(network: "test", publicKeyHex: key))
        #expect(!head.isValid(network: "other", publicKeyHex: key))
        #expect(key == (try SiteKey.load(from: l.keyPath)).publicKeyHex)
        #expect(try l.open().verify().isOK)
    }

    /// A batch larger than the chunks events are prepared in (2048), with duplicates among them: every
    /// event is sealed in line order on one chain, whatever chunk it was prepared in.
    @Test func aLargeBatchIsOneChainInLineOrder() throws {
        let l = try TestLedger()
        try l.append([enrol()])
        var lines = generatedBatch(patient: "P001", count: 5000, tag: "dr.bulk").split(separator: "\n").map(String.init)
        let again = try l.append([assessment(id: id(9001))])
        #expect(again.first?.seq == 2)
        lines.insert(assessment(id: id(9001)), at: 2047)  // a duplicate at a chunk's edge: reported, not recorded
        lines.insert(assessment(id: id(9002)), at: 4096)
        let outcomes = try l.append(lines)
        #expect(outcomes.count == 5002)
        #expect(outcomes.filter(\.isDuplicate).map(\.line) == [2048])
        #expect(outcomes.compactMap(\.seq) == Array(3...5003))
        #expect(outcomes[4096].id == id(9002) && outcomes[4096].seq == 4098)
        let events = try l.open().recordedEvents(patient: "P001")
        #expect(events.map(\.seq) == Array(1...5003))
        for (a, b) in zip(events, events.dropFirst()) { #expect(b.prev == a.hash) }
        #expect(try l.open().verify().isOK)
    }

    @Test func logJSONWritesTheRecordedBytesWithTheirHash() throws {
        let l = try TestLedger()
        try l.append([enrol("P001"), enrol("P002"), assessment("P002")])
        let r = try cli(["log", "--ledger", l.path, "--json", "--patient", "P002"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let events = try l.open().recordedEvents(patient: "P002")
        #expect(lines == events.map { String(decoding: $0.jsonLine, as: UTF8.self) })
        let first = json(lines[0])
        #expect(first["seq"] == .number(2))
        #expect(first["site"] == .string("north"))
        #expect(first["type"] == .string("patient.enrolled"))
    }

    @Test func fixturesAppendAndFactColumnsAreFilled() throws {
        let l = try TestLedger()
        let lines = try fileLines(fixturePath("valid-submissions.jsonl"))
        let out = try l.append(lines)
        #expect(out.compactMap(\.seq) == Array(1...Int64(lines.count)))
        #expect(try sqliteValue(l.path, "SELECT daily_dose_mcg || '|' || volume_ml || '|' || reservoir_ml || '|' || concentration FROM events WHERE id = '\(id(3))'") == "100.0|40.0|40.0|2000.0")
        // An amend's facts are the amended data's (target: the 150 mcg/day programming of id 5).
        #expect(try sqliteValue(l.path, "SELECT daily_dose_mcg || '|' || action || '|' || ref FROM events WHERE type = 13 AND ref = '\(id(5))'") == "160.0|amend|\(id(5))")
        #expect(try sqliteValue(l.path, "SELECT residual_ml FROM events WHERE id = '\(id(11))'") == "0.0")
        #expect(try l.open().verify().isOK)
    }

    @Test func initRefusesToOverwrite() throws {
        let dir = TempDir()
        let ledger = dir.file("l.sqlite")
        let first = try cli(["init", "--ledger", ledger, "--site", "north"])
        #expect(first.status == 0, "\(first)")
        let key = try #require(FileManager.default.contents(atPath: ledger + ".key"))
        try #require(try cli(["append", "--ledger", ledger], stdin: enrol()).status == 0)
        let second = try cli(["init", "--ledger", ledger, "--site", "south"])
        #expect(second.status != 0)
        #expect(second.stderr.contains("already exists"), "\(second)")
        #expect(FileManager.default.contents(atPath: ledger + ".key") == key)
        #expect(try sqliteValue(ledger, "SELECT COUNT(*) FROM events") == "1")
        // A key file left alone (ledger gone) is not overwritten either.
        let other = dir.file("m.sqlite")
        try #require(FileManager.default.createFile(atPath: other + ".key", contents: Data("x\n".utf8)))
        #expect(try cli(["init", "--ledger", other, "--site", "north"]).status != 0)
        #expect(FileManager.default.contents(atPath: other + ".key") == Data("x\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: other))
    }

    @Test("invalid site names are refused", arguments: ["North", "", "a_b", String(repeating: "a", count: 33), "sïte"])
    func invalidSiteName(_ site: String) throws {
        let dir = TempDir()
        #expect(throws: StoreError.self) { try LedgerStore.create(at: dir.file("l.sqlite"), site: site, network: "n") }
        #expect(!FileManager.default.fileExists(atPath: dir.file("l.sqlite.key")))
    }

    @Test func keyFileIsBesideTheLedgerWithMode0600() throws {
        let dir = TempDir()
        let ledger = dir.file("clinic.sqlite")
        try #require(try cli(["init", "--ledger", ledger, "--site", "north"]).status == 0)
        let attrs = try FileManager.default.attributesOfItem(atPath: ledger + ".key")
        #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // The private key is not inside the ledger.
        let keyHex = String(decoding: try #require(FileManager.default.contents(atPath: ledger + ".key")), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(keyHex.count == 64)
        let dbBytes = try #require(FileManager.default.contents(atPath: ledger))
        #expect(dbBytes.range(of: Data(keyHex.utf8)) == nil)
        #expect(dbBytes.range(of: Data(try #require(ChainHash.bytes(hex: keyHex)))) == nil)
    }

    @Test func appendingWithASwappedKeyFileIsRefused() throws {
        let l = try TestLedger()
        try l.append([enrol()])
        let other = try TestLedger()
        try FileManager.default.removeItem(atPath: l.keyPath)
        try FileManager.default.copyItem(atPath: other.keyPath, toPath: l.keyPath)
        #expect(throws: StoreError.self) { try l.append([dose()]) }
        let r = try cli(["append", "--ledger", l.path], stdin: dose())
        #expect(r.status != 0)
        #expect(r.stderr.contains("does not match"), "\(r)")
        #expect(try l.count() == 1)
        #expect(try sqliteValue(l.path, "SELECT COUNT(*) FROM heads") == "1")
    }

    @Test func appendingWithoutTheKeyFileIsRefused() throws {
        let l = try TestLedger()
        try l.append([enrol()])
        try FileManager.default.removeItem(atPath: l.keyPath)
        #expect(throws: StoreError.self) { try l.append([dose()]) }
        #expect(try l.count() == 1)
    }

    @Test func generatedIdsAreTimeOrderedUUIDs() throws {
        let dir = TempDir()
        let ledger = dir.file("l.sqlite")
        try #require(try cli(["init", "--ledger", ledger, "--site", "north"]).status == 0)
        let r = try cli(["append", "--ledger", ledger, "--json"], stdin: enrol() + "\n" + assessment() + "\n")
        #expect(r.status == 0, "\(r)")
        let ids = r.stdout.split(separator: "\n").compactMap { json(String($0))["id"]?.stringValue }
        #expect(ids.count == 2)
        for i in ids {
            #expect(Identifiers.isUUID(i))
            #expect(Array(i)[14] == "7", "not a version 7 UUID: \(i)")
        }
        #expect(Set(ids).count == 2)
    }

    @Test func uuidV7Layout() {
        let u = Identifiers.uuidV7(milliseconds: 0x0190_C3E2_7F4A, random: Array(repeating: 0xFF, count: 10))
        #expect(u == "0190c3e2-7f4a-7fff-bfff-ffffffffffff")
    }

    @Test func openingAMissingLedgerExplains() {
        #expect(throws: StoreError.self) { try LedgerStore.open(at: "/nonexistent/x.sqlite") }
    }

    @Test("--ledger works before the subcommand too")
    func ledgerIsAGlobalOption() throws {
        let dir = TempDir()
        let r = try cli(["--ledger", dir.file("l.sqlite"), "init", "--site", "north"])
        #expect(r.status == 0, "\(r)")
    }

    @Test func ledgerPathFromTheEnvironment() throws {
        let dir = TempDir()
        let ledger = dir.file("env.sqlite")
        try requireCLI()
        let r = try run("/usr/bin/env", ["THERAPY_LEDGER=\(ledger)", cliPath, "init", "--site", "north"])
        #expect(r.status == 0, "\(r)")
        #expect(FileManager.default.fileExists(atPath: ledger))
        #expect(FileManager.default.fileExists(atPath: ledger + ".key"))
    }
}
