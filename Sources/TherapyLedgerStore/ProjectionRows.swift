import GRDB
import TherapyLedgerCore

/// Reading events as ``ProjectionEvent``s from the fact columns, without decoding JSON.
enum ProjectionRows {
    /// The columns read, all held by the index `events_facts_by_patient` (see ``Schema``), so that reading
    /// a patient's events never touches the table. Index 25 is the rowid, to fetch a body when needed.
    static let columns = """
        id, type, patient, occurred_at, recorded_at, site, seq, clock, clock_sum, author, daily_dose_mcg, bolus_mcg,
        concentration, volume_ml, residual_ml, reservoir_ml, low_alarm_ml, next_refill_due, grade, serious, label, label2,
        ref, action, refs, rowid
        """
    /// The index of `rowid` in ``columns``.
    static let rowidColumn: Int32 = 25

    /// One patient's events (fact columns only).
    static func events(patient: String, _ db: Database) throws -> [ProjectionEvent] {
        var out: [ProjectionEvent] = []
        try LedgerStore.read(.patients([patient]), upTo: .max, withText: false, db) { _, events in out = events }
        return out
    }

    /// Clocks only matter when a patient's dose-setting events or corrections come from several sites
    /// (conflict detection); a patient seen by one site skips parsing them. `texts` are the clock columns.
    static func withClocks(_ events: inout [ProjectionEvent], texts: [String]) throws {
        let relevant = { (e: ProjectionEvent) in ProjectionEvent.needsClock(e.type) }
        guard let first = events.first(where: relevant)?.site, events.contains(where: { relevant($0) && $0.site != first }) else { return }
        for i in events.indices where ProjectionEvent.needsClock(events[i].type) {
            guard let c = VectorClock(canonical: texts[i]) else {
                throw StoreError("malformed clock column for event \(events[i].id): run `therapy-ledger verify`")
            }
            events[i].clock = c
        }
    }
}
