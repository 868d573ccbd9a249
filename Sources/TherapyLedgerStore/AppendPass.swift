import Dispatch
import GRDB
import TherapyLedgerCore

/// Pass 2 of an append up to its inserts, chunk by chunk in line order: each line checked against the ledger and
/// the batch (``BatchChecker``), the new events given their seqs and clocks, encoded on all cores and sealed
/// (``AppendRecorder/seal(_:write:)``). The append transaction inserts what each chunk gives.
///
/// A batch of more than one chunk runs its pass a chunk ahead of the inserts, on a thread of its own
/// (``start(_:)``): the writer's thread then only inserts. The checks ask the ledger through a read-only
/// connection of their own (``snapshotReader(for:)``), whose snapshot is the ledger as the append transaction
/// found it. It is taken after the transaction holds the write lock, so no other writer can commit in between;
/// and the checks never need the batch's own rows, which the batch's facts answer for (they ask the ledger only
/// of a line's id before that line is recorded, and of enrolments, pumps and explants that the batch's facts add
/// to). A batch of one chunk runs its pass on the writer's thread and connection (``run(_:)``).
final class AppendPass: @unchecked Sendable {
    // Owned by one thread at a time: the writer's, or the pass's own while a chunk runs there (handed over by
    // the dispatch group of ``ParallelMap/Background``: ``start(_:)`` before, its `wait()` after).
    var checker: BatchChecker<StoreContext>
    var recorder: AppendRecorder
    /// Lines pass 1 refused, seen again.
    var refusedSeen = 0
    /// The read-only connection of the checks run ahead, nil when the pass runs on the writer.
    private let reader: DatabaseQueue?

    /// A batch with more lines than this runs its pass ahead of the inserts. Debug builds run every batch of
    /// two lines or more that way, so that the whole test suite goes through it.
    static func runsAhead(lines: Int, chunkLines: Int) -> Bool {
        #if DEBUG
        return lines >= 2
        #else
        return lines > chunkLines
        #endif
    }

    /// What the reader and the writer must both see for the reader's snapshot to be the writer's ledger: the same
    /// last event and site (a file put in the ledger's place since it was opened is refused, not checked against).
    private static let identitySQL = "SELECT (SELECT coalesce(max(rowid), 0) FROM events), (SELECT value FROM meta WHERE key = 'site')"

    /// A read-only connection to `store`'s ledger holding a read transaction begun now, which sees what the append
    /// transaction `writer` sees: call it inside that transaction, before anything is written.
    static func snapshotReader(for store: LedgerStore, writer: Database) throws -> DatabaseQueue {
        var config = LedgerStore.configuration()
        config.readonly = true
        config.journalMode = .default
        config.label = "therapy-ledger.append-checks"
        // The read transaction spans the pass, across the accesses of each chunk.
        config.allowsUnsafeTransactions = true
        do {
            let reader = try DatabaseQueue(path: store.path, configuration: config)
            try reader.inDatabase { db in
                // The checks read the small partial indexes and the id index: a smaller cache than the writer's.
                try db.execute(sql: "PRAGMA cache_size = -16384")
                try db.execute(sql: "BEGIN DEFERRED TRANSACTION")
            }
            // A WAL read transaction takes its snapshot at its first read.
            let seen = try reader.inDatabase { db in try Row.fetchOne(db, sql: identitySQL) }
            let expected = try Row.fetchOne(writer, sql: identitySQL)
            guard let seen, let expected, seen == expected else {
                try? reader.close()
                throw StoreError("the ledger file \(store.path) is no longer the file this process opened (it was moved or replaced): open it again; nothing was written")
            }
            return reader
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError("cannot open a read connection to \(store.path) for the append's checks: \(error); nothing was written")
        }
    }

    /// The pass, with its checker made on `reader` (a ``snapshotReader(for:)``), or on the writer's `db` when nil.
    init(facts: BatchFacts, reader: DatabaseQueue?, writer db: Database, recorder: AppendRecorder) throws {
        self.reader = reader
        self.recorder = recorder
        if let reader {
            checker = try reader.inDatabase { rdb in try BatchChecker(facts: facts, context: try StoreContext(db: rdb)) }
        } else {
            checker = try BatchChecker(facts: facts, context: try StoreContext(db: db))
        }
    }

    /// Checks and seals one chunk on the calling thread (the writer's, when the pass has no reader).
    func run(_ parsed: [LedgerStore.ParsedLine]) throws -> AppendRecorder.Sealed {
        var checked: [BatchChecker<StoreContext>.Checked] = []
        checked.reserveCapacity(parsed.count)
        for r in parsed {
            switch r {
            case .success(let p):
                do {
                    checked.append(try checker.check(line: p.line, p.submission))
                } catch let e as BatchInputChanged {
                    throw StoreError(e.description)
                }
            case .failure: refusedSeen += 1
            }
        }
        return try recorder.seal(checked, write: checker.errors.isEmpty)
    }

    /// One chunk's pass running on a thread of its own.
    typealias Ahead = ParallelMap.Background<AppendRecorder.Sealed>

    /// Checks and seals one chunk on the pass's own thread, asking the ledger through its reader.
    func start(_ parsed: [LedgerStore.ParsedLine]) -> Ahead {
        Ahead { [self] in
            guard let reader else { return try run(parsed) }
            return try reader.inDatabase { _ in try run(parsed) }
        }
    }

    /// Ends the reader's read transaction (when the append transaction ends), so that its snapshot holds back no
    /// checkpoint. The connection closes when the pass is freed, with the checker's statements.
    func endSnapshot() {
        guard let reader else { return }
        try? reader.inDatabase { db in if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") } }
    }
}
