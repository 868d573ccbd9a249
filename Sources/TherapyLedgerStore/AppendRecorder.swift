import GRDB
import TherapyLedgerCore

/// Records a batch's checked lines chunk by chunk inside the append transaction: seqs and clocks in line order,
/// the canonical encoding and content digest of a chunk on the other cores while the chunk before it is sealed
/// (linked to the event before: in order) and inserted, then the one signed head. Keeps only the outcomes.
struct AppendRecorder {
    let store: LedgerStore
    let key: SiteKey
    let recordedBy: String?
    let now: Timestamp
    /// Set when the system clock is outside the accepted range: nothing is recorded, and ``finish(_:)`` says why.
    let clockError: StoreError?
    let baseSeq: Int64
    var seq: Int64
    var clock: VectorClock
    var prev: String
    var patients = Set<String>()
    var rows: [AppendOutcomes.Row] = []
    private var pending: ParallelMap.Pending<RecordedEvent.Presealed>?

    init(store: LedgerStore, key: SiteKey, wallClock: Timestamp, recordedBy: String?, _ db: Database) throws {
        self.store = store
        self.key = key
        self.recordedBy = recordedBy
        clock = try LedgerStore.clock(db)
        seq = clock[store.site]
        baseSeq = seq
        let last = try Row.fetchOne(db, sql: "SELECT hash, recorded_at FROM events WHERE site = ? AND seq = ?", arguments: [store.site, seq])
        prev = last?[0] ?? ChainHash.genesis
        // A site's recording times never go back (peers check it): a wall clock set back records at the last time.
        let now = max(wallClock, Timestamp(seconds: last?[1] ?? Int64.min))
        self.now = now
        clockError = Timestamp.acceptedRange.contains(now) ? nil : StoreError(
            "the system clock says \(now.iso8601), outside \(Timestamp.acceptedRange.lowerBound.iso8601) to \(Timestamp.acceptedRange.upperBound.iso8601): set the clock; nothing was written")
    }

    /// Notes each line's outcome and, unless `write` is false (the batch is already refused), records the new
    /// ones: this chunk is encoded in the background while the previous one is inserted.
    mutating func add(_ checked: [BatchChecker<StoreContext>.Checked], write: Bool, _ db: Database) throws {
        var jobs: [(entry: BatchValidator.Entry, seq: Int64, clock: VectorClock)] = []
        let site = store.site
        for c in checked {
            guard let line = UInt32(exactly: c.entry.line), let id = UInt32(exactly: c.idIndex) else {
                throw BatchInputTooLarge(line: c.entry.line)
            }
            if c.entry.isDuplicate {
                rows.append(AppendOutcomes.Row(id: id, line: line, seqOffset: 0))
                continue
            }
            seq += 1
            guard let offset = UInt32(exactly: seq - baseSeq) else { throw BatchInputTooLarge(line: c.entry.line) }
            rows.append(AppendOutcomes.Row(id: id, line: line, seqOffset: offset))
            if write && clockError == nil {
                clock[site] = seq
                jobs.append((c.entry, seq, clock))
            }
        }
        let now = self.now
        let recordedBy = self.recordedBy
        let next = jobs.isEmpty ? nil : ParallelMap.start(jobs) { job in
            RecordedEvent.preseal(job.entry.submission, id: job.entry.id, site: site, seq: job.seq, recordedAt: now, clock: job.clock,
                                  recordedBy: recordedBy)
        }
        try insertPending(db)
        pending = next
    }

    /// Seals and inserts the chunk encoded in the background, in order.
    private mutating func insertPending(_ db: Database) throws {
        guard let chunk = pending else { return }
        pending = nil
        var events = chunk.wait()
        let insert = try EventRow.insertStatement(db)
        for i in events.indices {
            let event = events[i].seal(prev: prev)
            try RawInsert.execute(insert, event, clockText: events[i].clockText)
            prev = event.hash
            patients.insert(event.patient)
        }
        // Freeing a chunk's events (their strings, bytes and data values) is work the ordered part need not do.
        ParallelMap.release(events)
    }

    /// The last chunk inserted, the signed head of the batch and the patients' projections marked stale.
    mutating func finish(_ db: Database) throws {
        if let clockError { throw clockError }
        try insertPending(db)
        guard seq > baseSeq else { return }
        let head = try SignedHead.sign(network: store.network, site: store.site, seq: seq, hash: prev, key: key.privateKey)
        try db.execute(sql: "INSERT INTO heads (site, seq, hash, signature) VALUES (?, ?, ?, ?)",
                       arguments: [head.site, head.seq, head.hash, head.signature])
        try store.markStale(patients, db)
    }

    /// The number of new events recorded.
    var recorded: Int { Int(seq - baseSeq) }

    func outcomes(_ ids: BatchIDs) -> AppendOutcomes {
        AppendOutcomes(ids: ids, site: store.site, baseSeq: baseSeq, rows: rows)
    }
}
