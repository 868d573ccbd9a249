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

    /// A large append's commit does not checkpoint (the queue is held, so nothing else can either): the log keeps
    /// its frames, though they pass the writer's automatic size (lowered to 50 pages here), and the writer has its
    /// automatic checkpoint back. Once the queue runs, the deferred checkpoint copies the whole log into the file.
    @Test func aLargeAppendIsCheckpointedAfterItsCommit() throws {
        let ledger = try TestLedger()
        try ledger.append([enrol("P001")])
        let store = try ledger.open()
        try store.db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 50") }
        for round in 1...2 {
            let release = DispatchSemaphore(value: 0)
            store.deferredCheckpoint?.hold(until: release)
            let outcomes = try store.append(jsonLines: Array(generatedBatch(patient: "P001", count: Self.large, tag: "r\(round)").utf8))
            #expect(outcomes.count == Self.large)
            #expect(store.deferredCheckpoint?.requests == round)
            #expect(try automaticPages(store) == 50, "the writer checkpoints by itself again after the commit")
            let held = try logState(ledger.path)
            #expect(held.frames > 50 && held.checkpointed < held.frames, "the commit left the checkpoint to the queue: \(held)")
            release.signal()
            store.waitForDeferredCheckpoint()
            let log = try logState(ledger.path)
            #expect(log.frames > 0 && log.frames == log.checkpointed, "the deferred checkpoint copied the whole log into the file: \(log)")
        }
        #expect(try store.eventCount() == 1 + 2 * Self.large)
        #expect(try store.verify().isOK)
    }

    /// The next write waits for the deferred checkpoint before it takes the write lock, so the log starts over
    /// instead of growing by every batch: after two large appends, with the first one's checkpoint held until the
    /// second has begun waiting, the log holds about one batch, not two.
    @Test func theNextWriteWaitsForTheCheckpointSoTheLogStartsOver() throws {
        let ledger = try TestLedger()
        try ledger.append([enrol("P001")])
        let store = try ledger.open()
        let release = DispatchSemaphore(value: 0)
        store.deferredCheckpoint?.hold(until: release)
        _ = try store.append(jsonLines: Array(generatedBatch(patient: "P001", count: Self.large, tag: "first").utf8))
        let first = try logState(ledger.path)
        #expect(first.checkpointed < first.frames, "\(first)")
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { release.signal() }
        _ = try store.append(jsonLines: Array(generatedBatch(patient: "P001", count: Self.large, tag: "second").utf8))
        let second = try logState(ledger.path)
        #expect(second.frames < first.frames * 3 / 2, "the log started over at the second append: \(first) then \(second)")
        store.waitForDeferredCheckpoint()
        #expect(try store.eventCount() == 1 + 2 * Self.large)
    }

    /// A small append is checkpointed by SQLite inside its commit, as before: nothing is left to the background.
    @Test func aSmallAppendKeepsSQLitesCheckpoint() throws {
        let ledger = try TestLedger()
        try ledger.append([enrol("P001")])
        let store = try ledger.open()
        _ = try store.append(jsonLines: Array(generatedBatch(patient: "P001", count: DeferredCheckpoint.minimumEvents - 1, tag: "small").utf8))
        #expect(store.deferredCheckpoint?.requests == 0)
        #expect(try automaticPages(store) == 1000)
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
