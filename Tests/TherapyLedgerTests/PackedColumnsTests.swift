import Foundation
import GRDB
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// Verify reads an event row's fact columns packed into one buffer; its typed reads of a column must give what
/// GRDB's conversion of the unpacked value gives, for every column type a row can hold.
@Suite struct PackedColumnsTests {
    /// A ledger of `patients` enrolled patients with `eventsEach` assessments each.
    static func ledger(patients: Int, eventsEach: Int) throws -> LedgerStore {
        let l = try TestLedger()
        var text = ""
        for n in 0..<patients { text += enrol(String(format: "K%03d", n)) + "\n" + generatedBatch(patient: String(format: "K%03d", n), count: eventsEach, tag: "dr-k") }
        _ = try l.open().append(jsonLines: Array(text.utf8))
        return try l.open()
    }

    @Test func typedReadsMatchGRDBsConversions() throws {
        let store = try Self.ledger(patients: 30, eventsEach: 4)
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

    /// Comparing a row's packed columns with an event's as they are read gives what packing the event's and comparing
    /// the buffers gives: equal for every stored row, unequal for every one-byte change or cut.
    @Test func comparingInTurnMatchesComparingPacked() throws {
        let store = try Self.ledger(patients: 20, eventsEach: 3)
        var g = SystemRandomNumberGenerator()
        var rows = 0
        try store.db.read { db in
            let n = EventRow.factColumns.count
            let statement = try db.makeStatement(sql: "SELECT \(EventRow.factColumns.joined(separator: ", ")), body FROM events")
            let s = statement.sqliteStatement
            while try RawSQLite.step(s, reading: "the events") {
                let stored = PackedColumns(s, count: Int32(n))
                guard case .success(let e) = RecordedEvent.decode(LedgerStore.bytes(s, Int32(n)), targetType: { _ in nil }) else {
                    Issue.record("a stored event does not decode")
                    continue
                }
                #expect(stored.matches(expected: e) && PackedColumns(expected: e) == stored)
                for _ in 0..<20 {
                    var changed = stored
                    let at = Int.random(in: 0..<changed.bytes.count, using: &g)
                    changed.bytes[at] ^= UInt8.random(in: 1...255, using: &g)
                    #expect(changed.matches(expected: e) == (PackedColumns(expected: e) == changed))
                    #expect(!changed.matches(expected: e))
                }
                var cut = stored
                cut.bytes.removeLast()
                #expect(!cut.matches(expected: e))
                var longer = stored
                longer.bytes.append(0)
                #expect(!longer.matches(expected: e))
                rows += 1
            }
        }
        #expect(rows == 80)
    }
}
