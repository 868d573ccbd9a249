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

    func isEnrolled(_ patient: String) throws -> Bool {
        var found = false
        try query("SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_enrolments WHERE patient = ? AND type = 1)", patient) { s in
            found = sqlite3_column_int64(s, 0) != 0
        }
        return found
    }

    func knownEvent(_ id: String) throws -> KnownEvent? {
        var known: KnownEvent?
        var badType: Int64?
        try query("SELECT type, patient, content_digest FROM events WHERE id = ?", id) { s in
            let code = sqlite3_column_int64(s, 0)
            guard let type = EventType(code: Int(code)) else { badType = code; return }
            known = KnownEvent(id: id, type: type, patient: RawSQLite.text(s, 1) ?? "", contentDigest: RawSQLite.text(s, 2) ?? "")
        }
        if let badType { throw StoreError("event \(id) has an unknown type code \(badType) in the ledger: run `therapy-ledger verify`") }
        return known
    }

    func pumps(of patient: String) throws -> [(at: Timestamp, reservoirMl: Double)] {
        var out: [(at: Timestamp, reservoirMl: Double)] = []
        try query("SELECT occurred_at, reservoir_ml FROM events INDEXED BY events_pumps WHERE patient = ? AND type IN (3, 10)", patient) { s in
            out.append((Timestamp(seconds: sqlite3_column_int64(s, 0)), sqlite3_column_double(s, 1)))
        }
        return out
    }

    func explants(of patient: String) throws -> [Timestamp] {
        var out: [Timestamp] = []
        try query("SELECT occurred_at FROM events INDEXED BY events_explants WHERE patient = ? AND type = 11", patient) { s in
            out.append(Timestamp(seconds: sqlite3_column_int64(s, 0)))
        }
        return out
    }

    private func query(_ sql: String, _ argument: String, _ row: (OpaquePointer) -> Void) throws {
        try RawSQLite.query(db, sql, argument, row)
    }
}
