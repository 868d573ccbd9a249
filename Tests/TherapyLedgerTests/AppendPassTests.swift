import Foundation
import GRDB
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// The checks of a batch of several lines run ahead of its inserts on a read connection of their own
/// (``AppendPass``); that connection must see the ledger the append writes to.
@Suite struct AppendPassTests {
    /// A ledger file replaced at its path after it was opened: the checks would read the other file, so the
    /// append is refused and nothing is written to either.
    @Test func anAppendRefusesALedgerFileReplacedSinceItWasOpened() throws {
        let ledger = try TestLedger()
        try ledger.append([enrol("P001"), implant("P001")])
        let other = try TestLedger(site: "north")
        try other.append([enrol("P002")])
        let store = try ledger.open()
        for path in [ledger.path, other.path] {
            _ = try sqlite(path, "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        try FileManager.default.removeItem(atPath: ledger.path)
        try FileManager.default.copyItem(atPath: other.path, toPath: ledger.path)
        let lines = [dose("P001", at: "2025-03-01T09:00:00Z"), dose("P001", at: "2025-03-02T09:00:00Z")]
        #if DEBUG
        let error = #expect(throws: StoreError.self) {
            _ = try store.append(jsonLines: Array((lines.joined(separator: "\n") + "\n").utf8))
        }
        #expect(error.map { "\($0)".contains("is no longer the file this process opened") } == true, "\(String(describing: error))")
        #expect(try other.count() == 1)
        #endif
    }

    /// Every batch of two lines or more runs ahead in debug builds (so the whole suite goes through it); release
    /// builds run ahead only a batch of more than one chunk.
    @Test func whichBatchesRunAhead() {
        #if DEBUG
        #expect(!AppendPass.runsAhead(lines: 1, chunkLines: 512))
        #expect(AppendPass.runsAhead(lines: 2, chunkLines: 512))
        #else
        #expect(!AppendPass.runsAhead(lines: 512, chunkLines: 512))
        #expect(AppendPass.runsAhead(lines: 513, chunkLines: 512))
        #endif
    }
}
