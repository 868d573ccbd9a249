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
        try RawInsert.execute(insertStatement(db), e)
    }

    /// The prepared insert, for a caller inserting many events (finding it in the statement cache hashes its text).
    static func insertStatement(_ db: Database) throws -> Statement {
        try db.cachedStatement(sql: insertSQL)
    }
}

/// Binds an event's columns straight to the prepared statement (no intermediate argument arrays):
/// appends and imports insert hundreds of thousands of rows. The text columns are copied once, into one buffer
/// on the stack, and bound without SQLite copying them again (`SQLITE_STATIC`); the body is bound in place. The
/// bindings are cleared before the buffers go, so the statement never keeps a pointer to them.
enum RawInsert {
    /// `clockText`: the clock's text when the caller has it already (``VectorClock/description`` of `e.clock`).
    static func execute(_ statement: Statement, _ e: RecordedEvent, clockText: String? = nil) throws {
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        let f = e.facts
        let clock = clockText ?? e.clock.description
        let refs = f.refs.isEmpty ? nil : f.refs.joined(separator: ",")
        func size(_ v: String?) -> Int { v?.utf8.count ?? 0 }
        let textBytes = size(e.id) + size(e.site) + size(e.patient) + size(clock) + size(e.prev) + size(e.hash) + size(e.contentDigest)
            + size(e.author) + size(f.label) + size(f.label2) + size(f.ref) + size(f.action) + size(refs)
        let rc = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(textBytes, 1)) { buffer -> Int32 in
            var used = 0
            var i: Int32 = 0
            func text(_ v: String?) {
                i += 1
                guard var v, let base = buffer.baseAddress else { sqlite3_bind_null(s, i); return }
                let start = base + used
                let count = v.withUTF8 { p -> Int in
                    let n = min(p.count, buffer.count - used)
                    if let from = p.baseAddress, n > 0 { start.update(from: from, count: n) }
                    return n
                }
                used += count
                _ = sqlite3_bind_text(s, i, UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self), Int32(count), nil)
            }
            func int(_ v: Int64?) {
                i += 1
                if let v { sqlite3_bind_int64(s, i, v) } else { sqlite3_bind_null(s, i) }
            }
            func real(_ v: Double?) {
                i += 1
                if let v { sqlite3_bind_double(s, i, v) } else { sqlite3_bind_null(s, i) }
            }
            text(e.id); text(e.site); int(e.seq); int(Int64(e.type.code)); text(e.patient); int(e.occurredAt.seconds); int(e.recordedAt.seconds)
            text(clock); int(e.clock.sum); text(e.prev); text(e.hash); text(e.contentDigest); text(e.author)
            real(f.dailyDoseMcg); real(f.bolusMcg); real(f.concentrationMcgPerMl); real(f.volumeMl); real(f.residualMl); real(f.reservoirMl)
            real(f.lowAlarmMl); int(f.nextRefillDue?.seconds); int(f.grade.map(Int64.init)); int(f.serious.map { $0 ? 1 : 0 }); text(f.label)
            text(f.label2); text(f.ref); text(f.action); text(refs)
            i += 1
            let body = i
            return e.canonical.withUnsafeBytes { p -> Int32 in
                _ = sqlite3_bind_blob(s, body, p.baseAddress, Int32(p.count), nil)
                let rc = sqlite3_step(s)
                sqlite3_reset(s)
                sqlite3_clear_bindings(s)
                return rc
            }
        }
        guard rc == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(s)))
            throw StoreError("cannot record event \(e.id) (\(e.site):\(e.seq)): \(message)")
        }
    }
}
