import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// A ledger of 10 events (ids `id(1)`...`id(10)` at seqs 1...10, signed heads at 5 and 10) whose
/// append-only triggers have been dropped and `sql` run on it, and what `verify` says.
private func tamper(_ sql: String) throws -> (ledger: TestLedger, verify: ProcessResult) {
    try requireCLI()
    let l = try ledgerWithEvents(10, batch: 5)
    let ok = try cli(["verify", "--ledger", l.path])
    try #require(ok.status == 0, "the untouched ledger does not verify: \(ok)")
    let r = try sqlite(l.path, dropTriggersSQL + sql)
    try #require(r.status == 0, "sqlite3 failed: \(r)")
    return (l, try cli(["verify", "--ledger", l.path]))
}

@Suite struct TamperTests {
    @Test func untouchedLedgerVerifies() throws {
        let l = try ledgerWithEvents(10, batch: 5)
        let v = try cli(["verify", "--ledger", l.path])
        #expect(v.status == 0, "\(v)")
        #expect(v.stdout == "ok: 10 events from 1 site verified\n")
    }

    @Test("triggers refuse UPDATE and DELETE", arguments: [
        "UPDATE events SET daily_dose_mcg = 1 WHERE seq = 3",
        "UPDATE events SET body = body WHERE seq = 3",
        "DELETE FROM events WHERE seq = 10",
        "UPDATE heads SET signature = signature",
        "DELETE FROM heads",
    ])
    func triggersRefuseChanges(_ sql: String) throws {
        let l = try ledgerWithEvents(10, batch: 5)
        let before = try sqliteValue(l.path, "SELECT group_concat(hash) FROM events") + sqliteValue(l.path, "SELECT group_concat(signature) FROM heads")
        let r = try sqlite(l.path, sql)
        #expect(r.status != 0, "\(sql) was allowed")
        #expect(r.stderr.contains("append-only"), "\(r)")
        #expect(try sqliteValue(l.path, "SELECT group_concat(hash) FROM events") + sqliteValue(l.path, "SELECT group_concat(signature) FROM heads") == before)
        #expect(try cli(["verify", "--ledger", l.path]).status == 0)
    }

    @Test func editedPayloadByte() throws {
        let (l, v) = try tamper("UPDATE events SET body = CAST(replace(CAST(body AS TEXT), '\"dailyDoseMcg\":105', '\"dailyDoseMcg\":106') AS BLOB) WHERE seq = 5;")
        #expect(try sqliteValue(l.path, "SELECT instr(CAST(body AS TEXT), '\"dailyDoseMcg\":106') > 0 FROM events WHERE seq = 5") == "1", "the edit did not happen")
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north:5 event \(id(5))"), "\(v)")
        #expect(v.stdout.contains("hash mismatch"), "\(v)")
    }

    @Test func editedPayloadWhitespaceOnly() throws {
        // Same JSON value, different bytes: the bytes are what is hashed, never re-serialized.
        let (_, v) = try tamper("UPDATE events SET body = CAST(replace(CAST(body AS TEXT), '\"dailyDoseMcg\":104', '\"dailyDoseMcg\": 104') AS BLOB) WHERE seq = 4;")
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north:4 event \(id(4))"), "\(v)")
    }

    @Test func editedFactColumn() throws {
        let (_, v) = try tamper("UPDATE events SET daily_dose_mcg = 999 WHERE seq = 4;")
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north:4 event \(id(4))"), "\(v)")
        #expect(v.stdout.contains("daily_dose_mcg"), "\(v)")
    }

    @Test func editedPatientColumn() throws {
        let (_, v) = try tamper("UPDATE events SET patient = 'P002' WHERE seq = 7;")
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north:7 event \(id(7))"), "\(v)")
        #expect(v.stdout.contains("patient"), "\(v)")
    }

    /// Bytes edited inside the covering index only (below SQLite, so no trigger fires and the table still
    /// matches its chain): status, replay and exports read that index, so verify has SQLite check it.
    @Test func editedCoveringIndexEntry() throws {
        try requireCLI()
        let l = try ledgerWithEvents(10, batch: 5)
        try #require(try sqlite(l.path, "PRAGMA wal_checkpoint(TRUNCATE);").status == 0)
        let pageSize = Int(try sqliteValue(l.path, "PRAGMA page_size"))!
        let pages = try sqliteValue(l.path, "SELECT group_concat(pageno) FROM dbstat WHERE name = 'events_facts_by_patient'")
            .split(separator: ",").map { Int($0)! }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: l.path)))
        let needle = Array(id(6).utf8)
        var edited = false
        search: for page in pages {
            let start = (page - 1) * pageSize
            for i in start..<(start + pageSize - needle.count) where bytes[i..<(i + needle.count)].elementsEqual(needle) {
                bytes[i + needle.count - 1] = bytes[i + needle.count - 1] == 0x30 ? 0x31 : 0x30
                edited = true
                break search
            }
        }
        try #require(edited, "the event id was not found in the index pages \(pages)")
        try Data(bytes).write(to: URL(fileURLWithPath: l.path))
        #expect(try sqliteValue(l.path, "SELECT count(*) FROM events NOT INDEXED WHERE id = '\(id(6))'") == "1", "the table was edited too")
        let v = try cli(["verify", "--ledger", l.path])
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("the events table and its indexes disagree"), "\(v)")
        #expect(v.stdout.contains("missing from index events_facts_by_patient"), "\(v)")
    }

    @Test func deletedMiddleRow() throws {
        let (_, v) = try tamper("DELETE FROM events WHERE seq = 6;")
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north:7 event \(id(7))"), "\(v)")
        #expect(v.stdout.contains("gap"), "\(v)")
        #expect(v.stdout.contains("9 events") || v.stdout.contains("in 9 events"), "\(v)")
    }

    @Test func deletedLastRow() throws {
        let (_, v) = try tamper("DELETE FROM events WHERE seq = 10;")
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north:10"), "\(v)")
        #expect(v.stdout.contains("missing"), "\(v)")
    }

    @Test func deletedLastBatchAndItsHead() throws {
        // Truncating a whole batch with its head leaves a consistent shorter chain: only the
        // auditor's kept heads can tell (see rewrittenHistoryIsCaughtAgainstKeptHeads).
        let l = try ledgerWithEvents(10, batch: 5)
        let heads = l.dir.file("heads.json")
        try #require(try cli(["verify", "--ledger", l.path, "--heads", heads]).status == 0)
        try #require(try sqlite(l.path, dropTriggersSQL + "DELETE FROM events WHERE seq > 5; DELETE FROM heads WHERE seq = 10;").status == 0)
        let v = try cli(["verify", "--ledger", l.path, "--against", heads])
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north:10"), "\(v)")
        #expect(v.stdout.contains("truncated"), "\(v)")
    }

    @Test func reorderedRows() throws {
        let (_, v) = try tamper("UPDATE events SET seq = 1000 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = 4; UPDATE events SET seq = 4 WHERE seq = 1000;")
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("event \(id(4))"), "\(v)")
        #expect(v.stdout.contains("event \(id(3))"), "\(v)")
        #expect(v.stdout.contains("north:3"), "\(v)")
    }

    @Test func forgedSignature() throws {
        let (l, v) = try tamper("UPDATE heads SET signature = CASE WHEN substr(signature, 1, 1) = 'a' THEN 'b' ELSE 'a' END || substr(signature, 2) WHERE seq = 5;")
        #expect(try sqliteValue(l.path, "SELECT COUNT(*) FROM heads") == "2")
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north:5"), "\(v)")
        #expect(v.stdout.contains("signed head does not verify"), "\(v)")
    }

    @Test func headMovedToAnotherHash() throws {
        let (_, v) = try tamper("UPDATE heads SET hash = (SELECT hash FROM events WHERE seq = 9) WHERE seq = 10;")
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north:10"), "\(v)")
    }

    @Test func rowAppendedOutsideTheLedgerIsNotCoveredByAHead() throws {
        // A row inserted by hand with a correct chain link but no signed head.
        let l = try ledgerWithEvents(10, batch: 5)
        let other = try ledgerWithEvents(11, batch: 11)
        let hashes = (try sqliteValue(l.path, "SELECT group_concat(hash) FROM events"), try sqliteValue(other.path, "SELECT group_concat(hash) FROM events WHERE seq <= 10"))
        try #require(hashes.0 == hashes.1, "the two ledgers differ: the copied row would not chain")
        let r = try sqlite(l.path, "ATTACH '\(other.path)' AS o; INSERT INTO events SELECT * FROM o.events WHERE seq = 11;")
        try #require(r.status == 0, "\(r)")
        let v = try cli(["verify", "--ledger", l.path])
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north:11"), "\(v)")
        #expect(v.stdout.contains("not covered by a signed head"), "\(v)")
    }

    @Test func swappedKeyFile() throws {
        try requireCLI()
        let l = try ledgerWithEvents(10, batch: 5)
        let dir = TempDir()
        let other = dir.file("other.sqlite")
        try #require(try cli(["init", "--ledger", other, "--site", "north"]).status == 0)
        try FileManager.default.removeItem(atPath: l.keyPath)
        try FileManager.default.copyItem(atPath: other + ".key", toPath: l.keyPath)
        let v = try cli(["verify", "--ledger", l.path])
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north"), "\(v)")
        #expect(v.stdout.contains("key file"), "\(v)")
    }

    @Test func swappedPinnedKeyAndKeyFile() throws {
        // Replacing both the pinned key and the key file: the old heads no longer verify.
        try requireCLI()
        let l = try ledgerWithEvents(10, batch: 5)
        let other = try TestLedger()
        let otherKey = try SiteKey.load(from: other.keyPath).publicKeyHex
        try FileManager.default.removeItem(atPath: l.keyPath)
        try FileManager.default.copyItem(atPath: other.keyPath, toPath: l.keyPath)
        try #require(try sqlite(l.path, "UPDATE sites SET public_key = '\(otherKey)' WHERE site = 'north';").status == 0)
        let v = try cli(["verify", "--ledger", l.path])
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north:5"), "\(v)")
        #expect(v.stdout.contains("north:10"), "\(v)")
    }

    @Test func rewrittenHistoryIsCaughtAgainstKeptHeads() throws {
        try requireCLI()
        let l = try ledgerWithEvents(10, batch: 5)
        let heads = l.dir.file("heads.json")
        let w = try cli(["verify", "--ledger", l.path, "--heads", heads])
        #expect(w.status == 0, "\(w)")
        let kept = json(String(decoding: try #require(FileManager.default.contents(atPath: heads)), as: UTF8.self))
        #expect(kept["format"] == .string("therapy-ledger-heads/1"))
        #expect(kept["network"] == .string("test"))
        guard case .array(let keptHeads)? = kept["heads"] else { throw TestFailure("no heads in \(kept)") }
        #expect(keptHeads.count == 1)
        #expect(keptHeads.first?["seq"] == .number(10))
        let extends = try cli(["verify", "--ledger", l.path, "--against", heads])
        #expect(extends.status == 0, "\(extends)")

        // Someone holding the key rewrites history: drops everything and re-appends, re-signing.
        try #require(try sqlite(l.path, dropTriggersSQL + "DELETE FROM events; DELETE FROM heads;").status == 0)
        var lines = [enrol("P001", id: id(1)), implant("P001", id: id(2))]
        for i in 3...12 { lines.append(dose("P001", id: id(i), mcg: Double(200 + i))) }
        try l.append(Array(lines[0..<6]))
        try l.append(Array(lines[6...]))
        // On its own the rewritten ledger is consistent and signed...
        let plain = try cli(["verify", "--ledger", l.path])
        #expect(plain.status == 0, "\(plain)")
        // ...but it no longer extends the heads the auditor kept.
        let v = try cli(["verify", "--ledger", l.path, "--against", heads])
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north:10"), "\(v)")
        #expect(v.stdout.contains("rewritten"), "\(v)")
    }

    @Test func aLegitimateExtensionStillExtendsKeptHeads() throws {
        let l = try ledgerWithEvents(10, batch: 5)
        let heads = l.dir.file("heads.json")
        try #require(try cli(["verify", "--ledger", l.path, "--heads", heads]).status == 0)
        try l.append([dose(mcg: 300), dose(mcg: 310)])
        let v = try cli(["verify", "--ledger", l.path, "--against", heads])
        #expect(v.status == 0, "\(v)")
    }

    @Test func alteredHeadsFileIsReported() throws {
        let l = try ledgerWithEvents(10, batch: 5)
        let heads = l.dir.file("heads.json")
        try #require(try cli(["verify", "--ledger", l.path, "--heads", heads]).status == 0)
        var text = String(decoding: try #require(FileManager.default.contents(atPath: heads)), as: UTF8.self)
        let hash = try sqliteValue(l.path, "SELECT hash FROM events WHERE seq = 10")
        let hash9 = try sqliteValue(l.path, "SELECT hash FROM events WHERE seq = 9")
        text = text.replacingOccurrences(of: hash, with: hash9)
        l.dir.write("heads.json", text)
        let v = try cli(["verify", "--ledger", l.path, "--against", heads])
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("heads file"), "\(v)")
    }
}

@Suite struct TruncationTests {
    /// Truncation followed by new appends reusing the seqs: the file alone verifies; kept heads catch it.
    @Test func truncatedThenReusedSeqsAreCaughtAgainstKeptHeads() throws {
        try requireCLI()
        let l = try ledgerWithEvents(10, batch: 5)
        let heads = l.dir.file("heads.json")
        try #require(try cli(["verify", "--ledger", l.path, "--heads", heads]).status == 0)
        try #require(try sqlite(l.path, dropTriggersSQL + "DELETE FROM events WHERE seq > 5; DELETE FROM heads WHERE seq = 10;").status == 0)
        try l.append([dose(mcg: 300), dose(mcg: 310), dose(mcg: 320), dose(mcg: 330), dose(mcg: 340)])
        let alone = try cli(["verify", "--ledger", l.path])
        #expect(alone.status == 0, "only an outside witness can see this: \(alone)")
        let v = try cli(["verify", "--ledger", l.path, "--against", heads])
        #expect(v.status == 2, "\(v)")
        #expect(v.stdout.contains("north:10") && v.stdout.contains("rewritten"), "\(v)")
    }
}
