import Foundation
import GRDB
import GRDBSQLite
import TherapyLedgerCore

/// One problem found by verification.
public struct VerificationProblem: Sendable, Hashable, CustomStringConvertible {
    /// The site concerned, when one is.
    public var site: String?
    /// The seq concerned, when one is.
    public var seq: Int64?
    /// The event id concerned, when known.
    public var eventID: String?
    /// What is wrong.
    public var message: String

    public var description: String {
        var where_: [String] = []
        if let site { where_.append(seq.map { "\(site):\($0)" } ?? site) }
        if let eventID { where_.append("event \(eventID)") }
        return (where_.isEmpty ? "" : where_.joined(separator: " ") + ": ") + message
    }
}

/// The outcome of ``LedgerStore/verify(against:)``.
public struct VerificationReport: Sendable {
    public var eventCount: Int
    public var siteCount: Int
    public var problems: [VerificationProblem]
    /// The checks that could not be made, each saying what was not checked and what would allow it
    /// (printed as `not checked: WHAT`). When any is listed the ledger was only partly verified.
    public var notChecked: [String] = []
    /// What is not wrong but worth a look: events recorded under an older rule set that the current rules
    /// would refuse (see ``RuleSet``). Notes never make a ledger fail verification.
    public var notes: [VerificationProblem] = []
    public var isOK: Bool { problems.isEmpty }
    /// Whether every check was made (no `not checked` line).
    public var isComplete: Bool { notChecked.isEmpty }
}

/// Signed heads kept by an auditor outside the ledger (`verify --heads FILE`).
public struct HeadsFile: Sendable {
    public var network: String
    /// The latest signed head of each site, with the site's public key.
    public var heads: [(head: SignedHead, publicKey: String)]

    /// The file's JSON text.
    public var json: JSONValue {
        .object([
            "format": .string("therapy-ledger-heads/1"),
            "network": .string(network),
            "heads": .array(heads.map { h in
                guard case .object(var o) = h.head.json else { return .null }
                o["publicKey"] = .string(h.publicKey)
                return .object(o)
            }),
        ])
    }

    /// The largest heads file read: a few hundred bytes a site.
    public static let maxBytes = 1 << 20

    /// Parses a heads file's bytes (at most ``maxBytes``): the entry point for untrusted heads files.
    public init(bytes: [UInt8], file: String) throws {
        guard bytes.count <= Self.maxBytes else { throw StoreError("\(file) is larger than \(Self.maxBytes) bytes: not a heads file") }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw StoreError("\(file) is not a heads file: \(error)") }
        try self.init(json: value, file: file)
    }

    /// Parses a heads file.
    public init(json: JSONValue, file: String) throws {
        guard json["format"]?.stringValue == "therapy-ledger-heads/1", let network = json["network"]?.stringValue,
              case .array(let items)? = json["heads"] else {
            throw StoreError("\(file) is not a therapy-ledger heads file (written by `verify --heads FILE`)")
        }
        var heads: [(SignedHead, String)] = []
        for (i, item) in items.enumerated() {
            guard let head = SignedHead(json: item), let key = item["publicKey"]?.stringValue else {
                throw StoreError("\(file): heads[\(i)] is malformed")
            }
            heads.append((head, key))
        }
        self.network = network
        self.heads = heads
    }

    public init(network: String, heads: [(head: SignedHead, publicKey: String)]) {
        self.network = network
        self.heads = heads
    }
}

extension LedgerStore {
    /// Recomputes every hash chain from the stored canonical bytes, checks seq continuity, that the fact
    /// columns match the bytes, that every signed head verifies with its site's pinned key and matches the
    /// chain, that each site's last event is covered by a signed head, and that this site's key file
    /// (when present) is the pinned one. With `against`, also that the ledger still extends heads an
    /// auditor kept.
    ///
    /// Meanwhile, on another connection, SQLite's `integrity_check` of the events table checks that every index
    /// holds exactly the table's rows, in order: status, replay and exports read the fact columns through the
    /// covering index `events_facts_by_patient`, so an edit below SQLite there would change what they show.
    ///
    /// The trust anchors are checked too (see ``verifyAnchors``): `siteKey`, the fingerprint of this site's key
    /// as known out of band, anchors this site's key when the key file is absent (a backup); every pinned key
    /// must carry this site's signature. A check that cannot be made is listed in ``VerificationReport/notChecked``.
    public func verify(against: HeadsFile? = nil, siteKey: String? = nil) throws -> VerificationReport {
        let structure = StructureCheck(path: path)
        var report = try db.read { db in
            var r = try Self.verify(db, site: site, network: network, keyPath: keyPath, against: against)
            let anchors = try Self.verifyAnchors(db, site: site, network: network, keyPath: keyPath, siteKey: siteKey, against: against)
            r.problems.insert(contentsOf: anchors.problems, at: 0)
            r.notChecked = anchors.notChecked
            return r
        }
        report.problems += try db.read { db in try Self.accessLogProblems(db) }
        for message in try structure.result() {
            report.problems.append(VerificationProblem(message: message))
        }
        return report
    }

    /// `PRAGMA integrity_check(events)` on its own read-only connection and thread, started at once.
    final class StructureCheck: @unchecked Sendable {
        // `outcome` is written by the thread before it signals `done`, and read only after waiting for it.
        private var outcome: Result<[String], Error> = .success([])
        private let done = DispatchSemaphore(value: 0)

        init(path: String) {
            let thread = Thread { [self] in
                outcome = Result {
                    let queue = try DatabaseQueue(path: path, configuration: LedgerStore.readerConfiguration())
                    let lines = try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check(events)") }
                    guard lines != ["ok"] else { return [] }
                    return ["the events table and its indexes disagree (the file was edited below SQLite, or is damaged); status, "
                            + "replay and exports read the index events_facts_by_patient, so they may not show what the events say. "
                            + "SQLite says: \(lines.prefix(5).joined(separator: "; "))\(lines.count > 5 ? " (and \(lines.count - 5) more)" : ""). "
                            + "Restore the ledger from a backup, or rebuild it from a peer's bundle"]
                }
                done.signal()
            }
            thread.start()
        }

        /// The problems found (none when SQLite says ok), after waiting for the check to end.
        func result() throws -> [String] {
            done.wait()
            return try outcome.get()
        }
    }

    static func verify(_ db: Database, site ownSite: String, network: String, keyPath: String?, against: HeadsFile?) throws -> VerificationReport {
        var problems: [VerificationProblem] = []
        var notes: [VerificationProblem] = []
        let keys = try pinnedKeys(db)

        // Types by id for amends (the facts of an amend depend on its target's type).
        var lastBySite: [String: (seq: Int64, hash: String)] = [:]
        var count = 0
        var currentSite: String?
        var expectedSeq: Int64 = 1
        var expectedPrev = ChainHash.genesis
        let columns = EventRow.factColumns
        let n = columns.count
        let statement = try db.makeStatement(sql: "SELECT \(columns.joined(separator: ", ")), body FROM events ORDER BY site, seq")
        // Amends need their target's type; resolve them up front so that decoding is pure and can run in parallel.
        var amendTargets: [String: EventType] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, type FROM events WHERE id IN (SELECT ref FROM events WHERE action = 'amend')") {
            if let t = EventType(code: row[1]) { amendTargets[row[0]] = t }
        }
        let typeLookup: @Sendable (String) -> EventType? = { [amendTargets] id in amendTargets[id] }

        // Rows are read in chunks; each chunk's events are decoded and checked against their columns on
        // all cores, then the chains are walked in order.
        struct Checked: Sendable {
            var id: String, site: String, seq: Int64, prev: String, hash: String
            var problems: [String]
            var notes: [String] = []
        }
        let check: @Sendable (PackedColumns, [UInt8]) -> Checked = { stored, body in
            let id = stored.text(0) ?? "?"
            let site = stored.text(1) ?? "?"
            let seq = stored.integer(2) ?? 0
            let storedPrev = stored.text(9) ?? ""
            let storedHash = stored.text(10) ?? ""
            var problems: [String] = []
            var notes: [String] = []
            switch RecordedEvent.decode(body, targetType: typeLookup) {
            case .failure(let e):
                problems.append("stored bytes are invalid: \(e.message)")
                if ChainHash.eventHash(prev: storedPrev, canonical: body) != storedHash {
                    problems.append("hash mismatch: the stored bytes were altered after recording")
                }
            case .success(let e):
                notes = e.ruleNotes
                if e.hash != storedHash || e.prev != storedPrev {
                    problems.append("hash mismatch: the stored bytes were altered after recording")
                }
                if e.site != site || e.seq != seq || e.id != id {
                    problems.append("the stored bytes say \(e.site):\(e.seq) id \(e.id), the row says \(site):\(seq) id \(id)")
                } else if !stored.matches(expected: e) {
                    // Packed alike means equal; otherwise compare column by column, as values.
                    let values = stored.values
                    let expected = EventRow.values(e)
                    let differing = (0..<n).filter { values[$0] != expected[$0] && columns[$0] != "hash" }.map { columns[$0] }
                    if !differing.isEmpty {
                        problems.append("fact columns do not match the stored bytes: \(differing.joined(separator: ", "))")
                    }
                }
            }
            return Checked(id: id, site: site, seq: seq, prev: storedPrev, hash: storedHash, problems: problems, notes: notes)
        }
        // Each chunk is checked on the other threads while this one reads the next (it waits for the chunk
        // before, whose chain it then walks in order).
        func start(_ chunk: [(PackedColumns, [UInt8])]) -> ParallelMap.Pending<Checked> {
            ParallelMap.start(chunk) { check($0.0, $0.1) }
        }
        func walk(_ checking: ParallelMap.Pending<Checked>) {
            for r in checking.wait() {
                count += 1
                if r.site != currentSite {
                    if let currentSite { lastBySite[currentSite] = (expectedSeq - 1, expectedPrev) }
                    currentSite = r.site
                    expectedSeq = 1
                    expectedPrev = ChainHash.genesis
                    if keys[r.site] == nil {
                        problems.append(VerificationProblem(site: r.site, message: "no key is pinned for this site"))
                    }
                }
                if r.seq != expectedSeq {
                    let msg = r.seq > expectedSeq ? "seq gap: events \(r.site) \(expectedSeq)-\(r.seq - 1) are missing (deleted rows?)" : "seq \(r.seq) out of order"
                    problems.append(VerificationProblem(site: r.site, seq: r.seq, eventID: r.id, message: msg))
                }
                if r.prev != expectedPrev {
                    problems.append(VerificationProblem(site: r.site, seq: r.seq, eventID: r.id, message: "prev does not match the hash of the previous event of \(r.site): the chain is broken (a row was deleted, reordered or altered)"))
                }
                for p in r.problems { problems.append(VerificationProblem(site: r.site, seq: r.seq, eventID: r.id, message: p)) }
                for note in r.notes { notes.append(VerificationProblem(site: r.site, seq: r.seq, eventID: r.id, message: note)) }
                expectedSeq = r.seq + 1
                expectedPrev = r.hash
            }
        }
        var chunk: [(PackedColumns, [UInt8])] = []
        chunk.reserveCapacity(4096)
        var inFlight: ParallelMap.Pending<Checked>?
        let s = statement.sqliteStatement
        while try RawSQLite.step(s, reading: "the events") {
            chunk.append((PackedColumns(s, count: Int32(n)), Self.bytes(s, Int32(n))))
            if chunk.count == 4096 {
                if let inFlight { walk(inFlight) }
                inFlight = start(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if let inFlight { walk(inFlight) }
        if !chunk.isEmpty { walk(start(chunk)) }
        if let currentSite { lastBySite[currentSite] = (expectedSeq - 1, expectedPrev) }

        // Signed heads.
        var latestHead: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT site, seq, hash, signature FROM heads ORDER BY site, seq") {
            let head = SignedHead(site: row[0], seq: row[1], hash: row[2], signature: row[3])
            guard let key = keys[head.site] else {
                problems.append(VerificationProblem(site: head.site, seq: head.seq, message: "signed head of a site with no pinned key"))
                continue
            }
            if !head.isValid(network: network, publicKeyHex: key) {
                problems.append(VerificationProblem(site: head.site, seq: head.seq, message: "signed head does not verify with the site's pinned key (forged or altered signature, or a swapped key)"))
            }
            let hash = try String.fetchOne(db.cachedStatement(sql: "SELECT hash FROM events WHERE site = ? AND seq = ?"), arguments: [head.site, head.seq])
            if hash == nil {
                problems.append(VerificationProblem(site: head.site, seq: head.seq, message: "a signed head names an event that is missing (deleted rows?)"))
            } else if hash != head.hash {
                problems.append(VerificationProblem(site: head.site, seq: head.seq, message: "the event's hash differs from its signed head: history was rewritten"))
            }
            latestHead[head.site] = max(latestHead[head.site] ?? 0, head.seq)
        }
        for (site, last) in lastBySite.sorted(by: { $0.key < $1.key }) where (latestHead[site] ?? 0) < last.seq {
            problems.append(VerificationProblem(site: site, seq: last.seq, message: "events \(site) \((latestHead[site] ?? 0) + 1)-\(last.seq) are not covered by a signed head (appended outside the ledger?)"))
        }

        if let against {
            if against.network != network {
                problems.append(VerificationProblem(message: "the heads file is for network \(against.network), this ledger is \(network)"))
            }
            for (head, publicKey) in against.heads {
                if keys[head.site] != publicKey {
                    problems.append(VerificationProblem(site: head.site, message: "the site's pinned key differs from the one in the heads file: the key was replaced"))
                }
                if !head.isValid(network: against.network, publicKeyHex: publicKey) {
                    problems.append(VerificationProblem(site: head.site, seq: head.seq, message: "the heads file's signature does not verify (the heads file was altered)"))
                }
                let hash = try String.fetchOne(db, sql: "SELECT hash FROM events WHERE site = ? AND seq = ?", arguments: [head.site, head.seq])
                if hash == nil {
                    problems.append(VerificationProblem(site: head.site, seq: head.seq, message: "the ledger no longer holds this signed head's event: history was truncated"))
                } else if hash != head.hash {
                    problems.append(VerificationProblem(site: head.site, seq: head.seq, message: "the ledger's event differs from the head kept in the heads file: history was rewritten"))
                }
            }
        }
        return VerificationReport(eventCount: count, siteCount: lastBySite.count, problems: problems, notes: notes)
    }

    /// A blob (or text) column of the current row as bytes.
    static func bytes(_ s: OpaquePointer, _ i: Int32) -> [UInt8] {
        guard let p = sqlite3_column_blob(s, i) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i))))
    }

    /// The latest signed head of every site with its pinned public key, for `verify --heads FILE`.
    public func headsFile() throws -> HeadsFile {
        try db.read { db in
            var heads: [(SignedHead, String)] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT h.site, h.seq, h.hash, h.signature, s.public_key FROM heads h JOIN sites s ON s.site = h.site
                WHERE h.seq = (SELECT MAX(seq) FROM heads WHERE site = h.site) ORDER BY h.site
                """) {
                heads.append((SignedHead(site: row[0], seq: row[1], hash: row[2], signature: row[3]), row[4]))
            }
            return HeadsFile(network: network, heads: heads)
        }
    }
}
