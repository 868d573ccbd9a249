import Foundation
import GRDB
import TherapyLedgerCore

extension LedgerStore {
    /// Lines per chunk of an append streamed from a file (the smaller, the less memory a chunk in flight holds).
    public static let appendChunkLines = 512
    /// Lines per chunk of an append from memory (kept parsed: larger chunks cost no memory the caller does not hold).
    public static let appendChunkLinesInMemory = 2048
    /// A batch in memory of at most this many lines is parsed once and kept parsed for pass 2 (its caller holds
    /// it whole anyway); a file, or a longer batch, is read and parsed again, so that memory stays flat in its length.
    public static let appendRetainedLines = 16_384

    /// Appends a batch of JSON Lines submissions atomically: either every new event is recorded (in one
    /// transaction, ending with one signed head) or, on any invalid line, nothing is and ``BatchRejected``
    /// lists every error with its line and field. `recordedBy` (the authenticated user, or the operating-system
    /// user of a CLI append) is stamped into every new event (format 2); nil records format-1 events.
    public func append(jsonLines: [UInt8], source: String? = nil, recordedBy: String? = nil) throws -> [AppendOutcome] {
        Array(try append(from: JSONLinesInput(bytes: jsonLines), source: source, recordedBy: recordedBy))
    }

    /// Appends a batch streamed from `input`, with the same semantics as ``append(jsonLines:source:recordedBy:)``
    /// and memory flat in the batch's length: pass 1 parses the lines chunk by chunk and keeps only what the
    /// batch defines (``BatchFacts``: ids, enrolments, pumps, explants); pass 2, in the append transaction, reads
    /// and parses them again (a batch in memory of at most `retainLines` lines is kept parsed instead), checks each line
    /// against the ledger and the batch, and records it. The outcomes are compact (``AppendOutcomes``).
    public func append(from input: JSONLinesInput, source: String? = nil, recordedBy: String? = nil,
                       chunkLines: Int? = nil, retainLines: Int = appendRetainedLines) throws -> AppendOutcomes {
        if let recordedBy, !RecordedEvent.isRecorderName(recordedBy) {
            throw StoreError("recordedBy \"\(recordedBy)\" is not a name: use 1-128 characters without control characters; nothing was written")
        }
        let key = try SiteKey.load(from: keyPath)
        let env = environment
        let now = env.now()
        let chunk = max(1, chunkLines ?? (input.canChange ? Self.appendChunkLines : Self.appendChunkLinesInMemory))
        // Pass 1, before taking the write lock: each chunk is parsed on all cores while the one before it is
        // collected. The ids the ledger assigns are drawn a chunk at a time, in line order.
        var facts = BatchFacts()
        var retained: [[ParsedLine]]? = input.canChange ? nil : []
        var retainedCount = 0
        var reader = input.lines()
        var parsing = try reader.next(maxLines: chunk).map { Self.startParsing($0, now: now) }
        while let current = parsing {
            let parsed = current.wait()
            parsing = try reader.next(maxLines: chunk).map { Self.startParsing($0, now: now) }
            let needed = parsed.reduce(0) { n, r in n + ((try? r.get())?.submission.id == nil ? 1 : 0) }
            var ids = IDSupply(needed > 0 ? env.newIDs(needed) : [], env.newID)
            for r in parsed { try facts.add(r, newID: { ids.next() }) }
            retainedCount += parsed.count
            if retained != nil { retained = retainedCount <= retainLines ? (retained ?? []) + [parsed] : nil }
        }
        let batch = AppendBatch(facts: facts, retained: retained, input: input, fingerprint: reader.fingerprint)
        facts = BatchFacts()
        retained = nil
        return try appendChecked(batch, key: key, now: now, source: source, recordedBy: recordedBy, chunkLines: chunk)
    }

    /// Appends already-parsed submissions (for library callers and generators).
    public func append(_ submissions: [Submission]) throws -> [AppendOutcome] {
        let key = try SiteKey.load(from: keyPath)
        let env = environment
        var ids = IDSupply(env.newIDs(submissions.filter { $0.id == nil }.count), env.newID)
        var facts = BatchFacts()
        let parsed: [ParsedLine] = submissions.enumerated().map { .success(($0.offset + 1, $0.element)) }
        for r in parsed { try facts.add(r, newID: { ids.next() }) }
        let batch = AppendBatch(facts: facts, retained: [parsed], input: nil, fingerprint: 0)
        facts = BatchFacts()
        return Array(try appendChecked(batch, key: key, now: env.now(), source: nil, recordedBy: nil,
                                       chunkLines: Self.appendChunkLinesInMemory, emptyIsError: false))
    }

    typealias ParsedLine = Result<(line: Int, submission: Submission), BatchRejected>

    static func startParsing(_ lines: [InputLine], now: Timestamp) -> ParallelMap.Pending<ParsedLine> {
        ParallelMap.start(lines) { $0.parse(now: now) }
    }

    /// A batch's ids, drawn up front, handed out in order (more, should validation ask for more, one by one).
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

    /// What pass 1 leaves for pass 2, handed over once (so that pass 2 owns it and frees each chunk as it goes).
    final class AppendBatch {
        var facts: BatchFacts?
        var retained: [[ParsedLine]]?
        let input: JSONLinesInput?
        let fingerprint: UInt64

        init(facts: BatchFacts, retained: [[ParsedLine]]?, input: JSONLinesInput?, fingerprint: UInt64) {
            self.facts = facts
            self.retained = retained
            self.input = input
            self.fingerprint = fingerprint
        }

        func takeFacts() -> BatchFacts {
            defer { facts = nil }
            return facts ?? BatchFacts()
        }

        /// The next chunk of retained lines, removed from the batch.
        func nextRetained() -> [ParsedLine]? {
            guard var chunks = retained, !chunks.isEmpty else { return nil }
            retained = nil
            let first = chunks.removeFirst()
            retained = chunks
            return first
        }
    }

    /// One append transaction: the key check, pass 2 of validation chunk by chunk with the new events recorded as
    /// they are checked (and, once any line is refused, only checked), the signed head, the history gate. A batch
    /// of more than one chunk checks and seals each chunk ahead of its inserts, on a thread of its own (``AppendPass``).
    private func appendChecked(_ batch: AppendBatch, key: SiteKey, now: Timestamp, source: String?, recordedBy: String?,
                               chunkLines: Int, emptyIsError: Bool = true) throws -> AppendOutcomes {
        func rejected(_ errors: [FieldError]) -> BatchRejected { BatchRejected(errors: errors, source: source) }
        deferredCheckpoint?.beforeWrite()
        return try db.writeWithoutTransaction { db in
            var outcomes: AppendOutcomes?
            var checkpointPages = 0
            defer { deferredCheckpoint?.resume(pages: checkpointPages, db) }
            try db.inTransaction(.immediate) {
                try self.checkOwnKey(key, db)
                let facts = batch.takeFacts()
                if emptyIsError && facts.isEmpty { throw rejected([FieldError(field: "", message: "no events in the input")]) }
                let refusedLines = facts.refusedLines
                let reader = AppendPass.runsAhead(lines: facts.parsedLines + refusedLines, chunkLines: chunkLines)
                    ? try AppendPass.snapshotReader(for: self, writer: db) : nil
                // The history check reads the batch's new events of a patient as those after this rowid.
                let firstRowid = try Int64.fetchOne(db, sql: "SELECT coalesce(max(rowid), 0) FROM events") ?? 0
                let pass: AppendPass
                do {
                    let recorder = try AppendRecorder(store: self, key: key, wallClock: now, recordedBy: recordedBy, db)
                    pass = try AppendPass(facts: consume facts, reader: reader, writer: db, recorder: recorder)
                } catch let e as BatchRejected {
                    throw rejected(e.errors)
                }
                var ahead: AppendPass.Ahead?
                defer {
                    // On a failure, the chunk still running ends before the snapshot does and the transaction rolls back
                    // (after the last chunk was taken, this wait returns at once).
                    _ = try? ahead?.wait()
                    pass.endSnapshot()
                }
                // Pass 2: the retained lines, or the input read and parsed again (a chunk ahead, on the other cores).
                var input = batch.retained == nil ? batch.input?.lines() : nil
                var parsing = try input?.next(maxLines: chunkLines).map { Self.startParsing($0, now: now) }
                func nextChunk() throws -> [ParsedLine]? {
                    if let current = parsing {
                        let parsed = current.wait()
                        parsing = try input?.next(maxLines: chunkLines).map { Self.startParsing($0, now: now) }
                        return parsed
                    }
                    return batch.nextRetained()
                }
                while let parsed = try nextChunk() {
                    if reader == nil {
                        try AppendRecorder.insert(try pass.run(parsed), db)
                    } else {
                        let sealed = try ahead?.wait()
                        ahead = pass.start(parsed)
                        if let sealed { try AppendRecorder.insert(sealed, db) }
                    }
                }
                if let sealed = try ahead?.wait() { try AppendRecorder.insert(sealed, db) }
                let checker = pass.checker
                if !checker.sawEveryLine || pass.refusedSeen != refusedLines || (input.map { $0.fingerprint != batch.fingerprint } ?? false) {
                    throw StoreError(BatchInputChanged(line: input?.lineNumber ?? 0).description)
                }
                if !checker.errors.isEmpty { throw rejected(checker.errors) }
                try pass.recorder.finish(db)
                try self.checkHistories(of: checker, insertedAfter: firstRowid, db)
                outcomes = pass.recorder.outcomes(checker.ids)
                checkpointPages = try deferredCheckpoint?.suspend(ifWrote: pass.recorder.recorded, db) ?? 0
                return .commit
            }
            guard let outcomes else { throw StoreError("the append transaction ended without its outcomes: nothing was written") }
            return outcomes
        }
    }

    func checkOwnKey(_ key: SiteKey, _ db: Database) throws {
        let pinned = try String.fetchOne(db, sql: "SELECT public_key FROM sites WHERE site = ?", arguments: [site])
        guard pinned == key.publicKeyHex else {
            throw StoreError("the key file \(keyPath) does not match the key pinned for site \(site) in this ledger: restore the site's own key file; nothing was written")
        }
    }
}
