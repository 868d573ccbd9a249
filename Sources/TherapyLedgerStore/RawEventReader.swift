import Foundation
import GRDB
import GRDBSQLite
import TherapyLedgerCore

/// Reads ``ProjectionEvent``s straight from a prepared statement over ``ProjectionRows/columns``,
/// without per-column wrapper values: a full replay reads every row of the ledger. Repeated short
/// strings (patient, site, author, labels) are interned, so a row allocates little beyond its id.
struct RawEventReader {
    let statement: Statement
    /// Recently seen long strings (short ones, up to 15 bytes, are stored inline by Swift and cost nothing).
    private var interned: [(bytes: [UInt8], string: String)] = []

    init(_ statement: Statement) {
        self.statement = statement
    }

    /// The next row's event and its clock column (empty when the type needs no clock), or nil at the end.
    mutating func next() throws -> (ProjectionEvent, String)? {
        let s = statement.sqliteStatement
        guard try RawSQLite.step(s, reading: "events") else { return nil }
        func isNull(_ i: Int32) -> Bool { sqlite3_column_type(s, i) == SQLITE_NULL }
        func text(_ i: Int32) -> String? { RawSQLite.text(s, i) }
        func internedText(_ i: Int32) -> String? {
            guard !isNull(i), let p = sqlite3_column_text(s, i) else { return nil }
            let buffer = UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i)))
            if buffer.count <= 15 { return String(decoding: buffer, as: UTF8.self) }
            for entry in interned where entry.bytes.count == buffer.count {
                if entry.bytes.withUnsafeBufferPointer({ e in e.baseAddress.map { memcmp($0, p, buffer.count) == 0 } ?? false }) { return entry.string }
            }
            let string = String(decoding: buffer, as: UTF8.self)
            if interned.count < 32 { interned.append((Array(buffer), string)) }
            return string
        }
        func int(_ i: Int32) -> Int64? { isNull(i) ? nil : sqlite3_column_int64(s, i) }
        func real(_ i: Int32) -> Double? { isNull(i) ? nil : sqlite3_column_double(s, i) }

        guard let type = EventType(code: Int(sqlite3_column_int64(s, 1))) else {
            throw StoreError("unknown event type code \(sqlite3_column_int64(s, 1)) in the ledger: run `therapy-ledger verify`")
        }
        var f = EventFacts()
        f.dailyDoseMcg = real(10)
        f.bolusMcg = real(11)
        f.concentrationMcgPerMl = real(12)
        f.volumeMl = real(13)
        f.residualMl = real(14)
        f.reservoirMl = real(15)
        f.lowAlarmMl = real(16)
        f.nextRefillDue = int(17).map { Timestamp(seconds: $0) }
        f.grade = int(18).map { Int($0) }
        f.serious = int(19).map { $0 != 0 }
        f.label = internedText(20)
        f.label2 = internedText(21)
        f.ref = text(22)
        f.action = internedText(23)
        if let refs = text(24) { f.refs = refs.split(separator: ",").map(String.init) }
        let event = ProjectionEvent(
            id: text(0) ?? "", type: type, patient: internedText(2) ?? "", occurredAt: Timestamp(seconds: sqlite3_column_int64(s, 3)),
            recordedAt: Timestamp(seconds: sqlite3_column_int64(s, 4)), site: internedText(5) ?? "", seq: sqlite3_column_int64(s, 6),
            clock: VectorClock(), clockSum: sqlite3_column_int64(s, 8), facts: f, author: internedText(9))
        let clock = ProjectionEvent.needsClock(type) ? (text(7) ?? "") : ""
        return (event, clock)
    }

    /// An integer column of the current row (after ``next()`` returned it).
    func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(statement.sqliteStatement, i) }

    /// Reads every remaining row (ordered by patient) and calls `body` once per patient with its events;
    /// `adjust` may complete each event from the current row. Clocks are filled in only where needed
    /// (see ``ProjectionRows/withClocks(_:texts:)``).
    mutating func forEachPatient(adjust: (inout ProjectionEvent, RawEventReader) throws -> Void,
                                 _ body: (String, [ProjectionEvent]) throws -> Void) throws {
        var current: String?
        var batch: [ProjectionEvent] = []
        var clocks: [String] = []
        func emit(_ patient: String) throws {
            try ProjectionRows.withClocks(&batch, texts: clocks)
            try body(patient, batch)
        }
        while let (read, clock) = try next() {
            var e = read
            try adjust(&e, self)
            if e.patient != current {
                if let current { try emit(current) }
                current = e.patient
                batch.removeAll(keepingCapacity: true)
                clocks.removeAll(keepingCapacity: true)
            }
            batch.append(e)
            clocks.append(clock)
        }
        if let current { try emit(current) }
    }
}
