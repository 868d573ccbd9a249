import GRDB

/// Checkpoints of the ledger's write-ahead log, off the write path.
///
/// SQLite checkpoints the log inside the commit that makes it pass 1000 pages, so one request in every few
/// pays for copying the log into the file. A long-running server instead turns that off on its writer and
/// checkpoints from this connection of its own, in the background: a passive checkpoint waits for no reader
/// and no writer, and runs while appends commit. ``finish()`` does a last checkpoint and gives the writer its
/// automatic checkpoints back. Other processes on the same file (the CLI) keep their own automatic checkpoints.
public final class WALCheckpointer: Sendable {
    private let writer: any DatabaseWriter
    private let connection: DatabaseQueue
    private let automaticPages: Int

    init(writer: any DatabaseWriter, connection: DatabaseQueue, automaticPages: Int) {
        self.writer = writer
        self.connection = connection
        self.automaticPages = automaticPages
    }

    /// A passive checkpoint: copies what it can of the log into the file, waiting for nobody. Returns the
    /// frames in the log and how many of them are now in the file.
    @discardableResult
    public func checkpoint() throws -> (logFrames: Int, checkpointedFrames: Int) {
        let result = try connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        return (result.walFrameCount, result.checkpointedFrameCount)
    }

    /// The last checkpoint; then the writer checkpoints by itself again, as before ``LedgerStore/checkpointInBackground()``.
    public func finish() throws {
        try checkpoint()
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = \(automaticPages)") }
        try connection.close()
    }
}

extension LedgerStore {
    /// Turns off the writer's automatic checkpoints and returns the connection that checkpoints instead (see
    /// ``WALCheckpointer``); nil for a ledger opened read-only. Call ``WALCheckpointer/finish()`` when done.
    public func checkpointInBackground() throws -> WALCheckpointer? {
        guard !isReadOnly else { return nil }
        let pages = try db.writeWithoutTransaction { db -> Int in
            let pages = try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? 1000
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            return pages
        }
        do {
            return WALCheckpointer(writer: db, connection: try Self.checkpointConnection(path, label: "therapy-ledger.checkpoints"),
                                   automaticPages: pages)
        } catch {
            try db.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = \(pages)") }
            throw StoreError("cannot open a checkpoint connection to \(path): \(error)")
        }
    }
}
