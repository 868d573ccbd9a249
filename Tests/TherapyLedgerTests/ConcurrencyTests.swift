import Foundation
import Testing
@testable import TherapyLedgerCore

/// Collects values from several threads.
final class Collector<T>: @unchecked Sendable {
    private var items: [T] = []
    private let lock = NSLock()
    func add(_ x: T) { lock.lock(); items.append(x); lock.unlock() }
    var all: [T] { lock.lock(); defer { lock.unlock() }; return items }
}

/// The seqs an `append` printed (`appended ID SITE:SEQ`).
func printedSeqs(_ stdout: String) -> [Int] {
    stdout.split(separator: "\n").compactMap { line -> Int? in
        guard line.hasPrefix("appended "), let colon = line.lastIndex(of: ":") else { return nil }
        return Int(line[line.index(after: colon)...])
    }
}

@Suite(.serialized) struct ConcurrencyTests {
    @Test func twoAppendingProcessesGetContiguousSeqs() throws {
        try requireCLI()
        let dir = TempDir()
        let ledger = dir.file("l.sqlite")
        try #require(try cli(["init", "--ledger", ledger, "--site", "north"]).status == 0)
        try #require(try cli(["append", "--ledger", ledger], stdin: enrol("P001") + "\n").status == 0)

        let workers = 2, batches = 30, perBatch = 20
        var files: [[String]] = []
        for w in 0..<workers {
            files.append((0..<batches).map { b in dir.write("w\(w)-b\(b).jsonl", generatedBatch(patient: "P001", count: perBatch, tag: "worker\(w)")) })
        }
        let results = Collector<(worker: Int, batch: Int, result: ProcessResult)>()
        let failures = Collector<String>()
        let group = DispatchGroup()
        for w in 0..<workers {
            let mine = files[w]
            DispatchQueue.global().async(group: group) {
                for (b, f) in mine.enumerated() {
                    do {
                        results.add((w, b, try cli(["append", "--ledger", ledger, f])))
                    } catch {
                        failures.add("worker \(w) batch \(b): \(error)")
                    }
                }
            }
        }
        #expect(group.wait(timeout: .now() + 120) == .success, "the appending processes did not finish")
        #expect(failures.all.isEmpty, "\(failures.all)")

        let all = results.all
        #expect(all.count == workers * batches)
        for r in all {
            #expect(r.result.status == 0, "worker \(r.worker) batch \(r.batch): \(r.result)")
            // One transaction per batch: a batch's seqs are contiguous.
            let seqs = printedSeqs(r.result.stdout)
            #expect(seqs.count == perBatch)
            if let first = seqs.first { #expect(seqs == Array(first..<(first + perBatch))) }
        }
        let total = 1 + workers * batches * perBatch
        let printed = all.flatMap { printedSeqs($0.result.stdout) }.sorted()
        #expect(printed == Array(2...total))
        #expect(try sqliteValue(ledger, "SELECT COUNT(*) || ' ' || COUNT(DISTINCT seq) || ' ' || MIN(seq) || ' ' || MAX(seq) FROM events")
                == "\(total) \(total) 1 \(total)")
        // Both workers' events are all there.
        for w in 0..<workers {
            #expect(try sqliteValue(ledger, "SELECT COUNT(*) FROM events WHERE CAST(body AS TEXT) LIKE '%\"author\":\"worker\(w)\"%'") == "\(batches * perBatch)")
        }
        let v = try cli(["verify", "--ledger", ledger])
        #expect(v.status == 0, "\(v)")
        #expect(v.stdout.contains("ok: \(total) events from 1 site verified"), "\(v)")
    }

    @Test func backupWhileAnotherProcessAppendsVerifies() throws {
        try requireCLI()
        let dir = TempDir()
        let ledger = dir.file("l.sqlite")
        try #require(try cli(["init", "--ledger", ledger, "--site", "north"]).status == 0)
        try #require(try cli(["append", "--ledger", ledger], stdin: enrol("P001") + "\n").status == 0)
        let perBatch = 200, batches = 20
        var script = ""
        for b in 0..<batches {
            let f = dir.write("b\(b).jsonl", generatedBatch(patient: "P001", count: perBatch, tag: "writer"))
            script += "'\(cliPath)' append --ledger '\(ledger)' '\(f)' >/dev/null || exit 1\n"
        }
        let scriptPath = dir.write("append.sh", script)
        let appender = Process()
        appender.executableURL = URL(fileURLWithPath: "/bin/sh")
        appender.arguments = [scriptPath]
        try appender.run()
        defer { if appender.isRunning { kill(appender.processIdentifier, SIGKILL) } }

        var copies: [String] = []
        var i = 0
        while appender.isRunning || copies.isEmpty {
            Thread.sleep(forTimeInterval: 0.15)
            let out = dir.file("copy\(i).sqlite")
            let r = try cli(["backup", "--ledger", ledger, "--out", out])
            #expect(r.status == 0, "\(r)")
            copies.append(out)
            i += 1
            if i >= 8 { break }
        }
        appender.waitUntilExit()
        #expect(appender.terminationStatus == 0)
        var sawPartialLedger = false
        for c in copies {
            let v = try cli(["verify", "--ledger", c])
            #expect(v.status == 0, "backup \(c) does not verify: \(v)")
            let n = try #require(Int(try sqliteValue(c, "SELECT COUNT(*) FROM events")))
            #expect((n - 1) % perBatch == 0, "backup holds a partial batch: \(n) events")
            if n < 1 + perBatch * batches { sawPartialLedger = true }
            #expect(!FileManager.default.fileExists(atPath: c + ".key"), "backup copied the key file")
        }
        #expect(sawPartialLedger, "every backup was taken after the appender finished: the test did not overlap them")
        // Backup never overwrites.
        let again = try cli(["backup", "--ledger", ledger, "--out", copies[0]])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already exists"), "\(again)")
    }
}
