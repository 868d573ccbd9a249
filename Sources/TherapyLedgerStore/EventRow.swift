import Foundation
import GRDB
import GRDBSQLite
import TherapyLedgerCore

/// Writing recorded events to the `events` table, with their fact columns.
enum EventRow {
    /// The fact columns then `body`, bound in this order by ``RawInsert`` and listed by ``values(_:)``.
    static let insertSQL = "INSERT INTO events (\((factColumns + ["body"]).joined(separator: ", "))) VALUES ("
        + Array(repeating: "?", count: factColumns.count + 1).joined(separator: ", ") + ")"

    /// The columns' values for an event, in `insertSQL` order, without the body (what `verify` compares
    /// with the stored columns). Built without existential boxes: verify builds one per event.
    static func values(_ e: RecordedEvent) -> [DatabaseValue] {
        let f = e.facts
        func int(_ v: Int64?) -> DatabaseValue { v?.databaseValue ?? .null }
        func real(_ v: Double?) -> DatabaseValue { v?.databaseValue ?? .null }
        func text(_ v: String?) -> DatabaseValue { v?.databaseValue ?? .null }
        return [
            text(e.id), text(e.site), int(e.seq), int(Int64(e.type.code)), text(e.patient), int(e.occurredAt.seconds), int(e.recordedAt.seconds),
            text(e.clock.description), int(e.clock.sum), text(e.prev), text(e.hash), text(e.contentDigest), text(e.author),
            real(f.dailyDoseMcg), real(f.bolusMcg), real(f.concentrationMcgPerMl), real(f.volumeMl), real(f.residualMl), real(f.reservoirMl),
            real(f.lowAlarmMl), int(f.nextRefillDue?.seconds), int(f.grade.map(Int64.init)), int(f.serious.map { $0 ? 1 : 0 }), text(f.label),
            text(f.label2), text(f.ref), text(f.action), text(f.refs.isEmpty ? nil : f.refs.joined(separator: ",")),
        ]
    }

    /// The names of the columns before `body`, in `insertSQL` order.
    static let factColumns = ["id", "site", "seq", "type", "patient", "occurred_at", "recorded_at", "clock", "clock_sum", "prev", "hash",
                              "content_digest", "author", "daily_dose_mcg", "bolus_mcg", "concentration", "volume_ml", "residual_ml",
                              "reservoir_ml", "low_alarm_ml", "next_refill_due", "grade", "serious", "label", "label2", "ref", "action", "refs"]

    static func insert(_ e: RecordedEvent, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: insertSQL)
        try RawInsert.execute(statement, e)
    }
}

/// Binds an event's columns straight to the prepared statement (no intermediate argument arrays):
/// appends and imports insert hundreds of thousands of rows.
enum RawInsert {
    static func execute(_ statement: Statement, _ e: RecordedEvent) throws {
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        var i: Int32 = 0
        func text(_ v: String?) {
            i += 1
            RawSQLite.bind(s, i, v)
        }
        func int(_ v: Int64?) {
            i += 1
            if let v { sqlite3_bind_int64(s, i, v) } else { sqlite3_bind_null(s, i) }
        }
        func real(_ v: Double?) {
            i += 1
            if let v { sqlite3_bind_double(s, i, v) } else { sqlite3_bind_null(s, i) }
        }
        let f = e.facts
        text(e.id); text(e.site); int(e.seq); int(Int64(e.type.code)); text(e.patient); int(e.occurredAt.seconds); int(e.recordedAt.seconds)
        text(e.clock.description); int(e.clock.sum); text(e.prev); text(e.hash); text(e.contentDigest); text(e.author)
        real(f.dailyDoseMcg); real(f.bolusMcg); real(f.concentrationMcgPerMl); real(f.volumeMl); real(f.residualMl); real(f.reservoirMl)
        real(f.lowAlarmMl); int(f.nextRefillDue?.seconds); int(f.grade.map(Int64.init)); int(f.serious.map { $0 ? 1 : 0 }); text(f.label)
        text(f.label2); text(f.ref); text(f.action); text(f.refs.isEmpty ? nil : f.refs.joined(separator: ","))
        i += 1
        e.canonical.withUnsafeBytes { p in _ = sqlite3_bind_blob(s, i, p.baseAddress, Int32(p.count), RawSQLite.transient) }
        let rc = sqlite3_step(s)
        sqlite3_reset(s)
        guard rc == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(s)))
            throw StoreError("cannot record event \(e.id) (\(e.site):\(e.seq)): \(message)")
        }
    }
}
