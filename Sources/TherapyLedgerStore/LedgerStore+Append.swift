import Foundation
import GRDB
import TherapyLedgerCore

/// What happened to one submitted line.
public struct AppendOutcome: Sendable, Hashable {
    /// The line in the input.
    public var line: Int
    public var id: String
    /// The site and seq it was recorded under; nil for a duplicate.
    public var site: String?
    public var seq: Int64?
    /// True when an identical event was already recorded (nothing written for this line).
    public var isDuplicate: Bool
}

extension LedgerStore {
    /// Appends a batch of JSON Lines submissions atomically: either every new event is recorded (in one
    /// transaction, ending with one signed head) or, on any invalid line, nothing is and ``BatchRejected``
    /// lists every error with its line and field. `recordedBy` (the authenticated user, or the operating-system
    /// user of a CLI append) is stamped into every new event (format 2); nil records format-1 events.
    public func append(jsonLines: [UInt8], source: String? = nil, recordedBy: String? = nil) throws -> [AppendOutcome] {
        let key = try SiteKey.load(from: keyPath)
        let env = environment
        // Each line is parsed and checked on its own first, on all cores, before taking the write lock.
        let now = env.now()
        let parsed = ParallelMap.map(BatchValidator.splitLines(jsonLines)) { BatchValidator.parseLine($0.bytes, line: $0.line, now: now) }
        // The ids the ledger assigns, drawn at once and before taking the write lock.
        var ids = IDSupply(env.newIDs(parsed.reduce(0) { n, r in n + ((try? r.get())?.submission.id == nil ? 1 : 0) }), env.newID)
        return try appendValidated(key: key, now: now, recordedBy: recordedBy) { db in
            do {
                return try BatchValidator.validate(parsed: parsed, context: StoreContext(db: db), newID: { ids.next() })
            } catch var rejected as BatchRejected {
                rejected.source = source
                throw rejected
            }
        }
    }

    /// Appends already-parsed submissions (for library callers and generators).
    public func append(_ submissions: [Submission]) throws -> [AppendOutcome] {
        let key = try SiteKey.load(from: keyPath)
        let env = environment
        var ids = IDSupply(env.newIDs(submissions.filter { $0.id == nil }.count), env.newID)
        return try appendValidated(key: key, now: env.now(), recordedBy: nil) { db in
            try BatchValidator.validate(Array(submissions.enumerated().map { ($0.offset + 1, $0.element) }),
                                        context: StoreContext(db: db), newID: { ids.next() })
        }
    }

    /// A batch's new ids, drawn up front, handed out in order (more, should validation ask for more, one by one).
    struct IDSupply {
        var ids: [String]
        var position = 0
        let more: () -> String

        init(_ ids: [String], _ more: @escaping () -> String) {
            self.ids = ids
            self.more = more
        }

        mutating func next() -> String {
            guard position < ids.count else { return more() }
            position += 1
            return ids[position - 1]
        }
    }

    /// One append transaction: the key check, `validate` against the ledger, then the new events recorded.
    private func appendValidated(key: SiteKey, now: Timestamp, recordedBy: String?,
                                 _ validate: (Database) throws -> [BatchValidator.Entry]) throws -> [AppendOutcome] {
        if let recordedBy, !RecordedEvent.isRecorderName(recordedBy) {
            throw StoreError("recordedBy \"\(recordedBy)\" is not a name: use 1-128 characters without control characters; nothing was written")
        }
        return try db.writeWithoutTransaction { db in
            var outcomes: [AppendOutcome] = []
            try db.inTransaction(.immediate) {
                try self.checkOwnKey(key, db)
                let entries = try validate(db)
                outcomes = try self.record(entries, key: key, now: now, recordedBy: recordedBy, db)
                try self.checkHistories(of: entries, db)
                return .commit
            }
            return outcomes
        }
    }

    func checkOwnKey(_ key: SiteKey, _ db: Database) throws {
        let pinned = try String.fetchOne(db, sql: "SELECT public_key FROM sites WHERE site = ?", arguments: [site])
        guard pinned == key.publicKeyHex else {
            throw StoreError("the key file \(keyPath) does not match the key pinned for site \(site) in this ledger: restore the site's own key file; nothing was written")
        }
    }

    func record(_ entries: [BatchValidator.Entry], key: SiteKey, now wallClock: Timestamp, recordedBy: String? = nil, _ db: Database) throws -> [AppendOutcome] {
        var clock = try Self.clock(db)
        var seq = clock[site]
        let last = try Row.fetchOne(db, sql: "SELECT hash, recorded_at FROM events WHERE site = ? AND seq = ?", arguments: [site, seq])
        var prev: String = last?[0] ?? ChainHash.genesis
        // A site's recording times never go back (peers check it): a wall clock set back records at the last time.
        let now = max(wallClock, Timestamp(seconds: last?[1] ?? Int64.min))
        guard Timestamp.acceptedRange.contains(now) else {
            throw StoreError("the system clock says \(now.iso8601), outside \(Timestamp.acceptedRange.lowerBound.iso8601) to \(Timestamp.acceptedRange.upperBound.iso8601): set the clock; nothing was written")
        }
        var outcomes: [AppendOutcome] = []
        outcomes.reserveCapacity(entries.count)
        var patients = Set<String>()
        // Seqs and clocks are known up front; everything but the chain link is prepared on all cores.
        var jobs: [(entry: BatchValidator.Entry, seq: Int64, clock: VectorClock)] = []
        for entry in entries where !entry.isDuplicate {
            seq += 1
            clock[site] = seq
            jobs.append((entry, seq, clock))
        }
        // Sealing links each event to the one before, so it runs in order here, with the insert; what comes
        // before it (canonical encoding, content digest) runs on the other cores a chunk ahead.
        let site = self.site
        let chunkSize = 2048
        func preseal(_ start: Int) -> ParallelMap.Pending<RecordedEvent.Presealed>? {
            guard start < jobs.count else { return nil }
            return ParallelMap.start(Array(jobs[start..<min(jobs.count, start + chunkSize)])) { job in
                RecordedEvent.preseal(job.entry.submission, id: job.entry.id, site: site, seq: job.seq, recordedAt: now, clock: job.clock,
                                      recordedBy: recordedBy)
            }
        }
        var chunkStart = 0
        var current = preseal(0)
        var presealed: [RecordedEvent.Presealed] = []
        var next = 0
        for entry in entries {
            if entry.isDuplicate {
                outcomes.append(AppendOutcome(line: entry.line, id: entry.id, site: nil, seq: nil, isDuplicate: true))
                continue
            }
            if next == presealed.count, let chunk = current {
                presealed = chunk.wait()
                next = 0
                chunkStart += chunkSize
                current = preseal(chunkStart)
            }
            let event = presealed[next].sealed(prev: prev)
            next += 1
            try EventRow.insert(event, db)
            prev = event.hash
            patients.insert(event.patient)
            outcomes.append(AppendOutcome(line: entry.line, id: entry.id, site: site, seq: event.seq, isDuplicate: false))
        }
        if !jobs.isEmpty {
            let head = try SignedHead.sign(network: network, site: site, seq: seq, hash: prev, key: key.privateKey)
            try db.execute(sql: "INSERT INTO heads (site, seq, hash, signature) VALUES (?, ?, ?, ?)",
                           arguments: [head.site, head.seq, head.hash, head.signature])
            try markStale(patients, db)
        }
        return outcomes
    }
}
