import GRDB
import TherapyLedgerCore

/// Reading events as ``ProjectionEvent``s from the fact columns, without decoding JSON.
enum ProjectionRows {
    static let columns = """
        id, type, patient, occurred_at, recorded_at, site, seq, clock, clock_sum, author, daily_dose_mcg, bolus_mcg,
        concentration, volume_ml, residual_ml, reservoir_ml, low_alarm_ml, next_refill_due, grade, serious, label, label2,
        ref, action, refs
        """

    /// One event from a row. With `clocks: false` the clock is left empty (see ``withClocks(_:)``).
    static func event(_ row: Row, clocks: Bool = true) throws -> ProjectionEvent {
        guard let type = EventType(code: row[1]) else { throw StoreError("unknown event type code \(row[1] as Int) in the ledger: run `therapy-ledger verify`") }
        var clock = VectorClock()
        if clocks && ProjectionEvent.needsClock(type) {
            let text: String = row[7]
            guard let c = VectorClock(canonical: text) else {
                throw StoreError("malformed clock column for event \(row[0] as String): run `therapy-ledger verify`")
            }
            clock = c
        }
        var f = EventFacts()
        f.dailyDoseMcg = row[10]
        f.bolusMcg = row[11]
        f.concentrationMcgPerMl = row[12]
        f.volumeMl = row[13]
        f.residualMl = row[14]
        f.reservoirMl = row[15]
        f.lowAlarmMl = row[16]
        f.nextRefillDue = (row[17] as Int64?).map { Timestamp(seconds: $0) }
        f.grade = row[18]
        f.serious = (row[19] as Int?).map { $0 != 0 }
        f.label = row[20]
        f.label2 = row[21]
        f.ref = row[22]
        f.action = row[23]
        if let refs = row[24] as String? { f.refs = refs.split(separator: ",").map(String.init) }
        return ProjectionEvent(
            id: row[0], type: type, patient: row[2], occurredAt: Timestamp(seconds: row[3]), recordedAt: Timestamp(seconds: row[4]),
            site: row[5], seq: row[6], clock: clock, clockSum: row[8], facts: f, author: row[9])
    }

    static func events(patient: String, _ db: Database) throws -> [ProjectionEvent] {
        let statement = try db.cachedStatement(sql: "SELECT \(columns) FROM events WHERE patient = ?")
        statement.setUncheckedArguments([patient])
        var reader = RawEventReader(statement)
        var out: [ProjectionEvent] = []
        try reader.forEachPatient(adjust: { _, _ in }) { _, events in out = events }
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
