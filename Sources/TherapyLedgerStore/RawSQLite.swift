import GRDB
import GRDBSQLite

/// The few direct SQLite calls the hot paths share (appends, imports, verify and scans step through
/// hundreds of thousands of rows, where GRDB's row objects would cost more than the work itself).
enum RawSQLite {
    /// Runs a cached one-parameter query on `db`, calling `row` for each result row.
    static func query(_ db: Database, _ sql: String, _ argument: String, _ row: (OpaquePointer) -> Void) throws {
        try query(db.cachedStatement(sql: sql), argument, row)
    }

    /// Runs a prepared one-parameter query, calling `row` for each result row.
    static func query(_ statement: Statement, _ argument: String, _ row: (OpaquePointer) -> Void) throws {
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        bind(s, 1, argument)
        defer { sqlite3_reset(s) }
        while try step(s, reading: "the ledger") { row(s) }
    }

    /// Tells SQLite to copy a bound value.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Steps `s`: true with a row, false when done; a failure says what was being read.
    static func step(_ s: OpaquePointer, reading what: String) throws -> Bool {
        switch sqlite3_step(s) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw StoreError("cannot read \(what): \(String(cString: sqlite3_errmsg(sqlite3_db_handle(s))))")
        }
    }

    /// A text column of the current row with its exact length (so a NUL inside never cuts it), nil when NULL.
    static func text(_ s: OpaquePointer, _ i: Int32) -> String? {
        guard sqlite3_column_type(s, i) != SQLITE_NULL, let p = sqlite3_column_text(s, i) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i))), as: UTF8.self)
    }

    /// Binds a text parameter (1-based), or NULL.
    static func bind(_ s: OpaquePointer, _ i: Int32, _ value: String?) {
        guard var value else { sqlite3_bind_null(s, i); return }
        value.withUTF8 { p in
            _ = sqlite3_bind_text(s, i, p.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, Int32(p.count), transient)
        }
    }
}
