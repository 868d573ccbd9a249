import Foundation
import GRDB
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// A large append or import leaves the checkpoint its commit would make to a connection of its own, in the
/// background (``DeferredCheckpoint``); a small one, or one made while a server checkpoints, leaves SQLite's own.
@Suite struct DeferredCheckpointTests {
    static let large = DeferredCheckpoint.minimumEvents + 10

    private func automaticPages(_ store: LedgerStore) throws -> Int? {
        try store.db.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") }
    }

    /// The frames in the log and how many of them are in the file, read from the log's index (the `-shm` file:
    /// `mxFrame` of its header, `nBackfill` of its checkpoint record) without checkpointing anything.
    private func logState(_ path: String) throws -> (frames: Int, checkpointed: Int) {
        let shm = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path + "-shm")))
        func u32(_ at: Int) -> Int { shm[at..<(at + 4)].withUnsafeBytes { Int($0.loadUnaligned(as: UInt32.self)) } }
        return (u32(16), u32(96))
    }

    /// The writer's automatic checkpoint is back after a large append, the log is copied into the file once the
    /// deferred checkpoint has run, and the ledger holds and verifies every event; the same for the next append.
    @Test func aLargeAppendIsCheckpointedAfterItsCommit() throws {
        let ledger = try TestLedger()
        try ledger.append([enrol("P001")])
        let store = try ledger.open()
        #expect(try automaticPages(store) == 1000)
        for round in 1...2 {
            let outcomes = try store.append(jsonLines: Array(generatedBatch(patient: "P001", count: Self.large, tag: "r\(round)").utf8))
            #expect(outcomes.count == Self.large)
            #expect(store.deferredCheckpoint?.requests == round)
            #expect(try automaticPages(store) == 1000, "the writer checkpoints by itself again after the commit")
            store.waitForDeferredCheckpoint()
            let log = try logState(ledger.path)
            #expect(log.frames > 0, "the batch's frames are in the log: \(log)")
            #expect(log.frames == log.checkpointed, "the deferred checkpoint copied the whole log into the file: \(log)")
        }
        #expect(try store.eventCount() == 1 + 2 * Self.large)
        #expect(try store.verify().isOK)
    }

    /// A small append is checkpointed by SQLite inside its commit, as before: nothing is left to the background.
    @Test func aSmallAppendKeepsSQLitesCheckpoint() throws {
        let ledger = try TestLedger()
        try ledger.append([enrol("P001")])
        let store = try ledger.open()
        _ = try store.append(jsonLines: Array(generatedBatch(patient: "P001", count: DeferredCheckpoint.minimumEvents - 1, tag: "small").utf8))
        #expect(store.deferredCheckpoint?.requests == 0)
        #expect(try automaticPages(store) == 1000)
        let log = try logState(ledger.path)
        #expect(log.checkpointed < log.frames, "SQLite leaves a log of under 1000 pages unchecked, and nothing else ran: \(log)")
        _ = try store.append(jsonLines: Array(generatedBatch(patient: "P001", count: DeferredCheckpoint.minimumEvents, tag: "large").utf8))
        #expect(store.deferredCheckpoint?.requests == 1)
        #expect(try store.eventCount() == 2 * DeferredCheckpoint.minimumEvents)
    }

    /// While a server checkpoints in the background (the writer's automatic checkpoint off), a large append
    /// leaves it off and defers nothing: the server's checkpointer empties the log.
    @Test func aLargeAppendUnderTheServersCheckpointerLeavesItOff() throws {
        let ledger = try TestLedger()
        try ledger.append([enrol("P001")])
        let store = try ledger.open()
        let checkpointer = try #require(try store.checkpointInBackground())
        #expect(try automaticPages(store) == 0)
        _ = try store.append(jsonLines: Array(generatedBatch(patient: "P001", count: Self.large, tag: "served").utf8))
        #expect(try automaticPages(store) == 0, "the server's setting is kept")
        #expect(store.deferredCheckpoint?.requests == 0)
        let log = try logState(ledger.path)
        #expect(log.checkpointed < log.frames, "nothing checkpointed the append's frames: \(log)")
        let (frames, checkpointed) = try checkpointer.checkpoint()
        #expect(frames == checkpointed)
        try checkpointer.finish()
        #expect(try automaticPages(store) == 1000)
        #expect(try store.eventCount() == 1 + Self.large)
    }

    /// A large import defers its checkpoint the same way, and the importing ledger verifies.
    @Test func aLargeImportIsCheckpointedAfterItsCommit() throws {
        let dir = TempDir()
        let env = testEnvironment()
        let south = try LedgerStore.create(at: dir.file("south.sqlite"), site: "south", network: "test", environment: env)
        let north = try LedgerStore.create(at: dir.file("north.sqlite"), site: "north", network: "test", environment: env)
        _ = try south.append(jsonLines: Array((enrol("P001") + "\n" + generatedBatch(patient: "P001", count: Self.large, tag: "s")).utf8))
        let bundle = dir.file("south.bundle")
        _ = try south.exportBundle(to: bundle)
        let report = try north.importBundle(from: bundle)
        #expect(report.newEvents == 1 + Self.large)
        #expect(try automaticPages(north) == 1000)
        #expect(north.deferredCheckpoint?.requests == 1)
        north.waitForDeferredCheckpoint()
        let log = try logState(dir.file("north.sqlite"))
        #expect(log.frames == log.checkpointed, "\(log)")
        #expect(try north.verify().isOK)
    }
}
