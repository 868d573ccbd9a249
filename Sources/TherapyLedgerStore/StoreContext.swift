import GRDB
import TherapyLedgerCore

/// The ledger as batch validation sees it, read inside the append transaction.
struct StoreContext: LedgerContext {
    let db: Database

    func isEnrolled(_ patient: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM events WHERE patient = ? AND type = ?)"),
                          arguments: [patient, EventType.patientEnrolled.code]) ?? false
    }

    func knownEvent(_ id: String) throws -> KnownEvent? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT type, patient, content_digest FROM events WHERE id = ?"), arguments: [id]),
              let type = EventType(code: row[0]) else { return nil }
        return KnownEvent(id: id, type: type, patient: row[1], contentDigest: row[2])
    }

    func pumps(of patient: String) throws -> [(at: Timestamp, reservoirMl: Double)] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT occurred_at, reservoir_ml FROM events WHERE patient = ? AND type IN (?, ?)"),
                         arguments: [patient, EventType.pumpImplanted.code, EventType.pumpReplaced.code])
            .map { (Timestamp(seconds: $0[0]), $0[1]) }
    }
}
