import GRDB
import TherapyLedgerCore

/// The ledger as batch validation sees it, read inside the append transaction.
struct StoreContext: LedgerContext {
    let db: Database

    func isEnrolled(_ patient: String) throws -> Bool {
        // The small partial index events_enrolments, named: the planner would otherwise walk the patient's
        // entries in the wide covering index (events_facts_by_patient), for every line of every batch.
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_enrolments WHERE patient = ? AND type = 1)"),
                          arguments: [patient]) ?? false
    }

    func knownEvent(_ id: String) throws -> KnownEvent? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT type, patient, content_digest FROM events WHERE id = ?"), arguments: [id]),
              let type = EventType(code: row[0]) else { return nil }
        return KnownEvent(id: id, type: type, patient: row[1], contentDigest: row[2])
    }

    func pumps(of patient: String) throws -> [(at: Timestamp, reservoirMl: Double)] {
        // The partial index events_pumps, named (see isEnrolled).
        try Row.fetchAll(db.cachedStatement(sql: "SELECT occurred_at, reservoir_ml FROM events INDEXED BY events_pumps WHERE patient = ? AND type IN (3, 10)"),
                         arguments: [patient])
            .map { (Timestamp(seconds: $0[0]), $0[1]) }
    }

    func explants(of patient: String) throws -> [Timestamp] {
        // The partial index events_explants, named (see isEnrolled).
        try Int64.fetchAll(db.cachedStatement(sql: "SELECT occurred_at FROM events INDEXED BY events_explants WHERE patient = ? AND type = 11"), arguments: [patient])
            .map { Timestamp(seconds: $0) }
    }
}
