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
        // More lines than a chunk: the checks run ahead in release builds too.
        let batch = generatedBatch(patient: "P001", count: LedgerStore.appendChunkLinesInMemory + 10, tag: "moved")
        let error = #expect(throws: StoreError.self) {
            _ = try store.append(jsonLines: Array(batch.utf8))
        }
        #expect(error.map { "\($0)".contains("is no longer the file this process opened") } == true, "\(String(describing: error))")
        #expect(try other.count() == 1)
    }
}
