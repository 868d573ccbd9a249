import GRDB
import TherapyLedgerCore

/// The ledger as batch validation sees it, read inside the append transaction.
struct StoreContext: LedgerContext {
    let db: Database

    func isEnrolled(_ patient: String) throws -> Bool {
        // The literal type code lets SQLite use the partial index events_enrolments.
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM events WHERE patient = ? AND type = 1)"),
                          arguments: [patient]) ?? false
    }

    func knownEvent(_ id: String) throws -> KnownEvent? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT type, patient, content_digest FROM events WHERE id = ?"), arguments: [id]),
              let type = EventType(code: row[0]) else { return nil }
        return KnownEvent(id: id, type: type, patient: row[1], contentDigest: row[2])
    }

    func pumps(of patient: String) throws -> [(at: Timestamp, reservoirMl: Double)] {
        // Literal type codes let SQLite use the partial index events_pumps.
        try Row.fetchAll(db.cachedStatement(sql: "SELECT occurred_at, reservoir_ml FROM events WHERE patient = ? AND type IN (3, 10)"),
                         arguments: [patient])
            .map { (Timestamp(seconds: $0[0]), $0[1]) }
    }

    func explants(of patient: String) throws -> [Timestamp] {
        // The literal type code lets SQLite use the partial index events_explants.
        try Int64.fetchAll(db.cachedStatement(sql: "SELECT occurred_at FROM events WHERE patient = ? AND type = 11"), arguments: [patient])
            .map { Timestamp(seconds: $0) }
    }
}
