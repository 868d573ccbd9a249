import GRDB
import GRDBSQLite
import TherapyLedgerCore

/// The events quarantined so far, by site: those held when an import began, then those it quarantines.
struct QuarantinedEvents {
    private var bySite: [String: Set<Int64>] = [:]

    /// The events of the `quarantine` table.
    init(_ db: Database) throws {
        let s = try db.cachedStatement(sql: "SELECT site, seq FROM quarantine").sqliteStatement
        sqlite3_reset(s)
        defer { sqlite3_reset(s) }
        while try RawSQLite.step(s, reading: "the quarantine") {
            bySite[RawSQLite.text(s, 0) ?? "", default: []].insert(sqlite3_column_int64(s, 1))
        }
    }

    func contains(_ site: String, _ seq: Int64) -> Bool {
        bySite[site]?.contains(seq) ?? false
    }

    mutating func insert(_ site: String, _ seq: Int64) {
        bySite[site, default: []].insert(seq)
    }
}

/// An imported event's place: its clock and position in its site's chain, with the events quarantined so far.
/// It decides which events of the ledger the event's origin had seen.
struct CausalPosition {
    let clock: VectorClock
    let site: String
    let seq: Int64
    let quarantined: QuarantinedEvents

    /// Whether the event at `site:seq` is in the causal past and not quarantined (the event itself and the later
    /// ones of its own site never are).
    func covers(_ site: String, _ seq: Int64) -> Bool {
        !(site == self.site && seq >= self.seq) && clock[site] >= seq && !quarantined.contains(site, seq)
    }
}

/// The ledger as an imported event's origin had seen it: the events its clock covers, less the quarantined
/// ones. Every receiver holds exactly these events (import refuses an event whose causal past is missing),
/// so every receiver reaches the same verdict. Answers batch validation's questions (see ``LedgerContext``)
/// with one query each: the definition that ``ImportPast``'s cached answers must equal (debug builds check
/// every imported event against it).
struct CausalPastContext: LedgerContext {
    let db: Database
    let position: CausalPosition

    func covers(_ site: String, _ seq: Int64) -> Bool { position.covers(site, seq) }

    func isEnrolled(_ patient: String) throws -> Bool {
        var found = false
        try query("SELECT site, seq FROM events INDEXED BY events_enrolments WHERE patient = ? AND type = 1", patient) { s in
            if covers(RawSQLite.text(s, 0) ?? "", sqlite3_column_int64(s, 1)) { found = true }
        }
        return found
    }

    func knownEvent(_ id: String) throws -> KnownEvent? {
        try Self.knownEvent(id, db, position)
    }

    /// The last event with this id, in the order of the index that answers, that `position` covers.
    static func knownEvent(_ id: String, _ db: Database, _ position: CausalPosition) throws -> KnownEvent? {
        try knownEvent(id, db.cachedStatement(sql: knownEventSQL), position)
    }

    static let knownEventSQL = "SELECT site, seq, type, patient, content_digest FROM events WHERE id = ?"

    /// ``knownEvent(_:_:_:)`` with its statement prepared (``knownEventSQL``).
    static func knownEvent(_ id: String, _ statement: Statement, _ position: CausalPosition) throws -> KnownEvent? {
        var known: KnownEvent?
        try RawSQLite.query(statement, id) { s in
            guard position.covers(RawSQLite.text(s, 0) ?? "", sqlite3_column_int64(s, 1)), let type = EventType(code: Int(sqlite3_column_int64(s, 2))) else { return }
            known = KnownEvent(id: id, type: type, patient: RawSQLite.text(s, 3) ?? "", contentDigest: RawSQLite.text(s, 4) ?? "")
        }
        return known
    }

    func pumps(of patient: String) throws -> [(at: Timestamp, reservoirMl: Double)] {
        var out: [(at: Timestamp, reservoirMl: Double)] = []
        try query("SELECT site, seq, occurred_at, reservoir_ml FROM events INDEXED BY events_pumps WHERE patient = ? AND type IN (3, 10)", patient) { s in
            if covers(RawSQLite.text(s, 0) ?? "", sqlite3_column_int64(s, 1)) {
                out.append((Timestamp(seconds: sqlite3_column_int64(s, 2)), sqlite3_column_double(s, 3)))
            }
        }
        return out
    }

    func explants(of patient: String) throws -> [Timestamp] {
        var out: [Timestamp] = []
        try query("SELECT site, seq, occurred_at FROM events INDEXED BY events_explants WHERE patient = ? AND type = 11", patient) { s in
            if covers(RawSQLite.text(s, 0) ?? "", sqlite3_column_int64(s, 1)) {
                out.append(Timestamp(seconds: sqlite3_column_int64(s, 2)))
            }
        }
        return out
    }

    /// The site's last event before `seq` that is not quarantined: its seq and recording time.
    static func previousAccepted(site: String, before seq: Int64, _ db: Database) throws -> (seq: Int64, at: Timestamp)? {
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT seq, recorded_at FROM events e WHERE site = ? AND seq < ?
            AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.site = e.site AND q.seq = e.seq) ORDER BY seq DESC LIMIT 1
            """), arguments: [site, seq]).map { (seq: $0[0] as Int64, at: Timestamp(seconds: $0[1])) }
    }

    private func query(_ sql: String, _ argument: String, _ row: (OpaquePointer) -> Void) throws {
        try RawSQLite.query(db, sql, argument, row)
    }
}
