import Foundation
import Testing
@testable import TherapyLedgerCore

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}

@Suite(.serialized) struct CrashTests {
    @Test func killedMidBatchLeavesNoPartialBatchAndVerifies() throws {
        try requireCLI()
        let dir = TempDir()
        let ledger = dir.file("l.sqlite")
        try #require(try cli(["init", "--ledger", ledger, "--site", "north"]).status == 0)
        try #require(try cli(["append", "--ledger", ledger], stdin: [enrol("P001"), implant("P001"), dose(mcg: 110)].joined(separator: "\n")).status == 0)
        let before = 3
        let batchSize = 200_000
        let batch = dir.write("big.jsonl", generatedBatch(patient: "P001", count: batchSize, tag: "crash"))
        let walBefore = fileSize(ledger + "-wal")

        let p = Process()
        p.executableURL = URL(fileURLWithPath: cliPath)
        p.arguments = ["append", "--ledger", ledger, batch]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        let start = Date()
        try p.run()
        // Poll until the process runs and has started writing the batch (uncommitted pages spilling
        // into the WAL), and at least ~300 ms have passed; then kill it.
        var sawWrites = false
        while p.isRunning, Date().timeIntervalSince(start) < 120 {  // generous: the machine may be shared by several builds
            if fileSize(ledger + "-wal") > walBefore + 64 * 1024 { sawWrites = true }
            if sawWrites, Date().timeIntervalSince(start) > 0.3 { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        let killedRunning = p.isRunning
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        try #require(killedRunning, "the append finished before it could be killed: increase the batch size")
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(sawWrites, "the append had not started writing when killed")

        let after = try #require(Int(try sqliteValue(ledger, "SELECT COUNT(*) FROM events")))
        #expect(after == before || after == before + batchSize, "partial batch: \(after) events")
        let v = try cli(["verify", "--ledger", ledger])
        #expect(v.status == 0, "\(v)")
        #expect(v.stdout.contains("ok: \(after) events"), "\(v)")

        // The ledger keeps working, with the seqs continuing from what was committed.
        let next = try cli(["append", "--ledger", ledger], stdin: dose(mcg: 120) + "\n")
        #expect(next.status == 0, "\(next)")
        #expect(printedSeqs(next.stdout) == [after + 1])
        #expect(try cli(["verify", "--ledger", ledger]).status == 0)
    }
}
