import GRDB
import TherapyLedgerCore

extension LedgerStore {
    /// The query of ``foreignIDCollisions(patient:knownAt:_:)``; arguments: knownAt, patient, knownAt (seconds).
    static let foreignIDCollisionsSQL = """
        SELECT e1.id, e1.site, e1.seq, e1.occurred_at, e2.site, e2.seq FROM events e1
        JOIN events e2 ON e2.id = e1.id AND e2.patient != e1.patient AND e2.recorded_at <= ?
        WHERE e1.patient = ? AND e1.recorded_at <= ?
          AND EXISTS (SELECT 1 FROM events e3 WHERE e3.id = e1.id AND e3.rowid != e1.rowid)
        ORDER BY e1.id, e1.site, e1.seq, e2.site, e2.seq
        """

    /// The events of `patient` whose id events of other patients share (ids are unique per site only), as
    /// known at `knownAt`. One index-only probe per event of the patient (`UNIQUE (id, site)`: is there another row
    /// with its id?); only the rare events that share an id are joined to the other rows' patients and times,
    /// which needs their table rows.
    static func foreignIDCollisions(patient: String, knownAt: Timestamp?, _ db: Database) throws -> [ForeignIDCollision] {
        // Cached: preparing it again on every status read costs more than running it (GRDB's authorizer
        // records every column it reads).
        let rows = try Row.fetchAll(db.cachedStatement(sql: foreignIDCollisionsSQL),
                                    arguments: [knownAt?.seconds ?? Int64.max, patient, knownAt?.seconds ?? Int64.max])
        var out: [ForeignIDCollision] = []
        for row in rows {
            let id: String = row[0], event = "\(row[1] as String):\(row[2] as Int64)", other = "\(row[4] as String):\(row[5] as Int64)"
            if let last = out.last, last.id == id, last.event == event {
                out[out.count - 1].others.append(other)
            } else {
                out.append(ForeignIDCollision(id: id, event: event, occurredAt: Timestamp(seconds: row[3]), others: [other]))
            }
        }
        return out
    }
}
