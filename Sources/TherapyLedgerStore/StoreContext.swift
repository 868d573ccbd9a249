import GRDB
import GRDBSQLite
import TherapyLedgerCore

/// The ledger as batch validation sees it, read inside the append transaction.
///
/// Every line of every batch asks these questions, so they run on cached statements read straight from
/// SQLite (no row objects), and name their small partial indexes: the planner would otherwise walk the
/// patient's entries in the wide covering index (events_facts_by_patient).
struct StoreContext: LedgerContext {
    let db: Database
    // Prepared once per batch: a batch asks these of every line, and finding a cached statement by its SQL text
    // hashes the whole text each time.
    private let enrolled: Statement
    private let byID: Statement
    private let pumpsOf: Statement
    private let explantsOf: Statement

    init(db: Database) throws {
        self.db = db
        enrolled = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_enrolments WHERE patient = ? AND type = 1)")
        byID = try db.cachedStatement(sql: "SELECT type, patient, content_digest FROM events WHERE id = ?")
        pumpsOf = try db.cachedStatement(sql: "SELECT occurred_at, reservoir_ml FROM events INDEXED BY events_pumps WHERE patient = ? AND type IN (3, 10)")
        explantsOf = try db.cachedStatement(sql: "SELECT occurred_at FROM events INDEXED BY events_explants WHERE patient = ? AND type = 11")
    }

    func isEnrolled(_ patient: String) throws -> Bool {
        var found = false
        try query(enrolled, patient) { s in
            found = sqlite3_column_int64(s, 0) != 0
        }
        return found
    }

    func knownEvent(_ id: String) throws -> KnownEvent? {
        var known: KnownEvent?
        var badType: Int64?
        try query(byID, id) { s in
            let code = sqlite3_column_int64(s, 0)
            guard let type = EventType(code: Int(code)) else { badType = code; return }
            known = KnownEvent(id: id, type: type, patient: RawSQLite.text(s, 1) ?? "", contentDigest: RawSQLite.text(s, 2) ?? "")
        }
        if let badType { throw StoreError("event \(id) has an unknown type code \(badType) in the ledger: run `therapy-ledger verify`") }
        return known
    }

    func pumps(of patient: String) throws -> [(at: Timestamp, reservoirMl: Double)] {
        var out: [(at: Timestamp, reservoirMl: Double)] = []
        try query(pumpsOf, patient) { s in
            out.append((Timestamp(seconds: sqlite3_column_int64(s, 0)), sqlite3_column_double(s, 1)))
        }
        return out
    }

    func explants(of patient: String) throws -> [Timestamp] {
        var out: [Timestamp] = []
        try query(explantsOf, patient) { s in
            out.append(Timestamp(seconds: sqlite3_column_int64(s, 0)))
        }
        return out
    }

    private func query(_ statement: Statement, _ argument: String, _ row: (OpaquePointer) -> Void) throws {
        try RawSQLite.query(statement, argument, row)
    }
}
