import Foundation
import GRDB

/// The checkpoint a large write's commit would make, made after it, in the background.
///
/// SQLite copies the write-ahead log into the ledger file inside the commit that makes the log pass its
/// automatic checkpoint size (1000 pages). After an append or import of thousands of events that copy is a large
/// part of the write's time, spent on the ordered path. For such a write the writer's automatic checkpoint is turned
/// off just before its commit and turned back on right after it, and the same passive checkpoint runs instead on a
/// connection of this object's own, on a queue of its own, while the caller goes on (the next batch of a long
/// append is read and parsed meanwhile).
///
/// - The next write waits for it before it takes the write lock (``beforeWrite()``): SQLite starts the log over
///   from its beginning only when a write begins after the whole log is in the file, so a checkpoint still running
///   then would let the log grow by every batch, without bound.
/// - A commit is in the log before the write returns, and a checkpoint, interrupted or not, never changes what the
///   ledger holds. With `synchronous = NORMAL`, as for every write, a commit survives a power loss once the log is
///   synced to disk, which the checkpoint does: for a large write that is now shortly after it returns instead of
///   just before. The ledger waits for the checkpoint before it closes, so a CLI command has synced when it exits.
/// - When a server checkpoints in the background already (the writer's automatic checkpoint is off:
///   ``WALCheckpointer``), nothing is deferred. Small writes keep SQLite's own checkpoints.
final class DeferredCheckpoint: @unchecked Sendable {
    /// A write of at least this many events defers its checkpoint.
    static let minimumEvents = 2048

    private let path: String
    /// The ledger file's device and inode when the ledger was opened: a checkpoint never opens another file.
    private let identity: (device: UInt64, inode: UInt64)?
    private let queue = DispatchQueue(label: "therapy-ledger.deferred-checkpoint")
    // `connection`, `requestCount` and `gate` are read and written under `lock` only (hence the unchecked Sendable).
    private let lock = NSLock()
    /// Opened on the first deferred checkpoint, closed with this object.
    private var connection: DatabaseQueue?
    /// The deferred checkpoints asked for so far (for tests).
    private var requestCount = 0
    /// For tests: the next checkpoint waits for this signal before it starts.
    private var gate: DispatchSemaphore?

    init(path: String) {
        self.path = path
        identity = Self.identity(of: path)
    }

    private static func identity(of path: String) -> (device: UInt64, inode: UInt64)? {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        return (UInt64(s.st_dev), UInt64(s.st_ino))
    }

    /// Before a write takes the write lock: waits for the checkpoint of the write before, if it still runs.
    func beforeWrite() {
        queue.sync {}
    }

    /// Inside a write transaction about to commit, having written `events` events: for a large write, turns the
    /// writer's automatic checkpoint off and returns its size in pages, to hand to ``resume(pages:_:)`` after the
    /// commit (or its rollback); otherwise, or when it is off already, 0.
    func suspend(ifWrote events: Int, _ db: Database) throws -> Int {
        guard events >= Self.minimumEvents else { return 0 }
        let pages = try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? 0
        if pages > 0 { try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        return pages
    }

    /// After the transaction: gives the writer its automatic checkpoint back and, if it was taken away, queues
    /// the passive checkpoint the commit did not make.
    func resume(pages: Int, _ db: Database) {
        guard pages > 0 else { return }
        // Setting a pragma on an open connection does not fail short of a misuse; if it ever did, the deferred
        // checkpoints of later large writes would still empty the log.
        try? db.execute(sql: "PRAGMA wal_autocheckpoint = \(pages)")
        schedule()
    }

    private func schedule() {
        lock.withLock { requestCount += 1 }
        // Weak: the ledger waits for this block before it closes (``LedgerStore`` deinit), so this object is
        // released on the ledger's thread, never on its own queue.
        queue.async { [weak self] in
            guard let self else { return }
            lock.withLock { () -> DispatchSemaphore? in defer { gate = nil }; return gate }?.wait()
            let connection = lock.withLock { () -> DatabaseQueue? in
                if self.connection == nil, let identity, let now = Self.identity(of: path),
                   now.device == identity.device, now.inode == identity.inode {
                    self.connection = try? LedgerStore.checkpointConnection(path, label: "therapy-ledger.deferred-checkpoint")
                }
                return self.connection
            }
            // A checkpoint that cannot run (the file is busy, moved or gone) loses nothing: the frames stay in the
            // log, readers read them there, and the writer's next automatic checkpoint copies them.
            _ = try? connection?.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        }
    }

    /// Waits for the checkpoint queued or running, if any (before the ledger is closed, and for tests).
    func wait() {
        queue.sync {}
    }

    /// How many writes have deferred their checkpoint since the ledger was opened.
    var requests: Int { lock.withLock { requestCount } }

    /// For tests: the next deferred checkpoint starts only once `release` is signalled (and a write that waits for
    /// it, ``beforeWrite()``, waits that long too).
    func hold(until release: DispatchSemaphore) {
        lock.withLock { gate = release }
    }

    deinit {
        try? connection?.close()
    }
}

extension LedgerStore {
    /// Waits for the checkpoint that a large append or import left to the background (see the ledger's
    /// storage notes in the README). The ledger waits for it by itself before it closes and before its next write;
    /// a benchmark that counts the whole cost of its writes waits for it before it stops the clock.
    public func waitForDeferredCheckpoint() {
        deferredCheckpoint?.wait()
    }
}
