import Foundation
import GRDB
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// Verify reads an event row's fact columns packed into one buffer; its typed reads of a column must give what
/// GRDB's conversion of the unpacked value gives, for every column type a row can hold.
@Suite struct PackedColumnsTests {
    @Test func typedReadsMatchGRDBsConversions() throws {
        let l = try TestLedger()
        var text = ""
        for n in 0..<30 { text += enrol(String(format: "K%03d", n)) + "\n" + generatedBatch(patient: String(format: "K%03d", n), count: 4, tag: "dr-k") }
        _ = try l.open().append(jsonLines: Array(text.utf8))
        let store = try l.open()
        var rows = 0
        try store.db.read { db in
            let n = EventRow.factColumns.count
            let statement = try db.makeStatement(sql: "SELECT \(EventRow.factColumns.joined(separator: ", ")), 12.5, x'00ff', NULL, 'tail' FROM events")
            let s = statement.sqliteStatement
            while try RawSQLite.step(s, reading: "the events") {
                let packed = PackedColumns(s, count: Int32(n + 4))
                let values = packed.values
                #expect(values.count == n + 4)
                for k in 0..<(n + 4) {
                    #expect(packed.text(k) == String.fromDatabaseValue(values[k]), "column \(k)")
                    #expect(packed.integer(k) == Int64.fromDatabaseValue(values[k]), "column \(k)")
                }
                #expect(packed.text(n + 4) == nil && packed.integer(n + 4) == nil)
                rows += 1
            }
        }
        #expect(rows == 150)
    }
}
