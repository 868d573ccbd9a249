import GRDB
import TherapyLedgerCore

/// Records a batch's checked lines chunk by chunk inside the append transaction: seqs and clocks in line order,
/// the canonical encoding and content digest of a chunk on all cores, its chain links in order (``seal(_:write:)``,
/// which ``AppendPass`` runs a chunk ahead of the inserts), the rows inserted (``insert(_:_:)``, on the writer),
/// then the one signed head. Keeps only the outcomes.
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

    /// A chunk's new events, sealed and ready to insert in order.
    struct Sealed: Sendable {
        var events: [RecordedEvent] = []
        var clockTexts: [String] = []
    }

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

    /// Notes each line's outcome and, unless `write` is false (the batch is already refused), seals the new
    /// ones: encoded on all cores, then linked to the event before, in order.
    mutating func seal(_ checked: [BatchChecker<StoreContext>.Checked], write: Bool) throws -> Sealed {
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
        guard !jobs.isEmpty else { return Sealed() }
        let now = self.now
        let recordedBy = self.recordedBy
        var presealed = ParallelMap.map(jobs) { job in
            RecordedEvent.preseal(job.entry.submission, id: job.entry.id, site: site, seq: job.seq, recordedAt: now, clock: job.clock,
                                  recordedBy: recordedBy)
        }
        jobs = []
        var sealed = Sealed()
        sealed.events.reserveCapacity(presealed.count)
        sealed.clockTexts.reserveCapacity(presealed.count)
        for i in presealed.indices {
            let event = presealed[i].seal(prev: prev)
            prev = event.hash
            patients.insert(event.patient)
            sealed.events.append(event)
            sealed.clockTexts.append(presealed[i].clockText)
        }
        ParallelMap.release(presealed)
        return sealed
    }

    /// Inserts a sealed chunk, in order.
    static func insert(_ chunk: consuming Sealed, _ db: Database) throws {
        guard !chunk.events.isEmpty else { return }
        let insert = try EventRow.insertStatement(db)
        for i in chunk.events.indices {
            try RawInsert.execute(insert, chunk.events[i], clockText: chunk.clockTexts[i])
        }
        // Freeing a chunk's events (their strings, bytes and data values) is work the ordered part need not do.
        let events = chunk.events
        chunk.events = []
        ParallelMap.release(events)
    }

    /// The signed head of the batch (its last chunk inserted) and the patients' projections marked stale.
    mutating func finish(_ db: Database) throws {
        if let clockError { throw clockError }
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
