import Foundation
import GRDB
import GRDBSQLite
import TherapyLedgerCore

/// An order-independent digest of the events' fact columns and rowids, computed once from the table
/// (during ``LedgerStore/verify(against:)``'s walk) and once from the covering index
/// `events_facts_by_patient`: equal digests mean the index, which status, replay and exports read,
/// holds exactly the table's values. SipHash with this process's random seed over each row's typed
/// values: an edit below SQLite cannot be tuned to keep the sum.
struct FactIndexDigest: Equatable, Sendable {
    /// The index's columns (``ProjectionRows/columns`` without the rowid).
    static let columns: [String] = ProjectionRows.columns.split(separator: ",")
        .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { $0 != "rowid" }

    private(set) var rows = 0
    private(set) var sum: UInt64 = 0

    mutating func add(_ row: UInt64) {
        rows += 1
        sum &+= row
    }

    /// One row's digest from its values (the table side).
    static func row(rowid: Int64, _ values: [DatabaseValue], at positions: [Int]) -> UInt64 {
        var buffer = Buffer()
        buffer.int(rowid)
        for i in positions {
            switch values[i].storage {
            case .null: buffer.tag(0)
            case .int64(let i): buffer.tag(1); buffer.int(i)
            case .double(let d): buffer.tag(2); buffer.int(Int64(bitPattern: d.bitPattern))
            case .string(let s): buffer.tag(3); buffer.int(Int64(s.utf8.count)); buffer.bytes.append(contentsOf: s.utf8)
            case .blob(let b): buffer.tag(4); buffer.int(Int64(b.count)); buffer.bytes.append(contentsOf: b)
            }
        }
        return buffer.digest()
    }

    /// A row's typed values as bytes, hashed once (one SipHash call per row, not one per value).
    struct Buffer {
        var bytes: [UInt8] = []

        init() { bytes.reserveCapacity(256) }
        mutating func tag(_ t: UInt8) { bytes.append(t) }
        mutating func int(_ i: Int64) { withUnsafeBytes(of: i.littleEndian) { bytes.append(contentsOf: $0) } }
        func digest() -> UInt64 {
            var h = Hasher()
            bytes.withUnsafeBytes { h.combine(bytes: $0) }
            return UInt64(bitPattern: Int64(h.finalize()))
        }
    }

    /// The digest of every entry of the covering index, read straight from SQLite (the same typed values
    /// as ``row(rowid:_:)`` hashes).
    static func ofIndex(_ db: Database) throws -> FactIndexDigest {
        var digest = FactIndexDigest()
        let statement = try db.makeStatement(sql: "SELECT rowid, \(columns.joined(separator: ", ")) FROM events INDEXED BY events_facts_by_patient ORDER BY patient")
        let s = statement.sqliteStatement
        let n = Int32(columns.count)
        var buffer = Buffer()
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw StoreError("cannot read the index events_facts_by_patient: \(String(cString: sqlite3_errmsg(sqlite3_db_handle(s))))")
            }
            buffer.bytes.removeAll(keepingCapacity: true)
            buffer.int(sqlite3_column_int64(s, 0))
            for i in 1...n {
                switch sqlite3_column_type(s, i) {
                case SQLITE_NULL: buffer.tag(0)
                case SQLITE_INTEGER: buffer.tag(1); buffer.int(sqlite3_column_int64(s, i))
                case SQLITE_FLOAT: buffer.tag(2); buffer.int(Int64(bitPattern: sqlite3_column_double(s, i).bitPattern))
                case let type:
                    let p = type == SQLITE_TEXT ? UnsafeRawPointer(sqlite3_column_text(s, i)) : sqlite3_column_blob(s, i)
                    let count = Int(sqlite3_column_bytes(s, i))
                    buffer.tag(type == SQLITE_TEXT ? 3 : 4)
                    buffer.int(Int64(count))
                    if let p { buffer.bytes.append(contentsOf: UnsafeRawBufferPointer(start: p, count: count)) }
                }
            }
            digest.add(buffer.digest())
        }
        return digest
    }
}
