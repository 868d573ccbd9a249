import Foundation
import GRDB
import TherapyLedgerCore

/// Writing recorded events to the `events` table, with their fact columns.
enum EventRow {
    static let insertSQL = """
        INSERT INTO events (id, site, seq, type, patient, occurred_at, recorded_at, clock, clock_sum, prev, hash,
            content_digest, author, daily_dose_mcg, bolus_mcg, concentration, volume_ml, residual_ml, reservoir_ml, low_alarm_ml,
            next_refill_due, grade, serious, label, label2, ref, action, refs, body)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// The columns' values for an event, in `insertSQL` order.
    static func arguments(_ e: RecordedEvent) -> StatementArguments { StatementArguments(values(e)) }

    /// The columns' values for an event, in `insertSQL` order.
    static func values(_ e: RecordedEvent) -> [DatabaseValue] {
        let f = e.facts
        let values: [(any DatabaseValueConvertible)?] = [
            e.id, e.site, e.seq, e.type.code, e.patient, e.occurredAt.seconds, e.recordedAt.seconds,
            e.clock.description, e.clock.sum, e.prev, e.hash, e.contentDigest, e.author,
            f.dailyDoseMcg, f.bolusMcg, f.concentrationMcgPerMl, f.volumeMl, f.residualMl, f.reservoirMl, f.lowAlarmMl,
            f.nextRefillDue?.seconds, f.grade, f.serious.map { $0 ? 1 : 0 }, f.label, f.label2, f.ref, f.action,
            f.refs.isEmpty ? nil : f.refs.joined(separator: ","),
            Data(e.canonical),
        ]
        return values.map { $0?.databaseValue ?? .null }
    }

    /// The names of the columns before `body`, in `insertSQL` order.
    static let factColumns = ["id", "site", "seq", "type", "patient", "occurred_at", "recorded_at", "clock", "clock_sum", "prev", "hash",
                              "content_digest", "author", "daily_dose_mcg", "bolus_mcg", "concentration", "volume_ml", "residual_ml",
                              "reservoir_ml", "low_alarm_ml", "next_refill_due", "grade", "serious", "label", "label2", "ref", "action", "refs"]

    static func insert(_ e: RecordedEvent, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: insertSQL)
        statement.setUncheckedArguments(arguments(e))
        try statement.execute()
    }
}
