import Foundation
import GRDB
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// Migration perf-one-id-index: the two id indexes, UNIQUE (site, id) and events_by_id (id), become one
/// UNIQUE (id, site), and a ledger made before it keeps every event, its order and its checks.
@Suite struct IdIndexMigrationTests {
    /// The events table's indexes by their columns, e.g. `id,site`.
    func indexColumns(_ path: String) throws -> [String] {
        try sqliteValue(path, """
            SELECT group_concat(c, ' ') FROM (SELECT (SELECT group_concat(name) FROM pragma_index_info(il.name)) AS c
            FROM pragma_index_list('events') il ORDER BY c)
            """).split(separator: " ").map(String.init)
    }

    @Test func aNewLedgerHasOneIdIndex() throws {
        let l = try TestLedger()
        let columns = try indexColumns(l.path)
        #expect(columns.contains("id,site") && !columns.contains("id") && !columns.contains("site,id"), "\(columns)")
        #expect(try sqliteValue(l.path, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_id'") == "0")
    }

    @Test func aLedgerMadeBeforeItIsMigratedAndReadsTheSame() throws {
        let l = try TestLedger()
        var text = ""
        for n in 0..<40 { text += enrol(String(format: "M%03d", n)) + "\n" + generatedBatch(patient: String(format: "M%03d", n), count: 3, tag: "dr-a") }
        _ = try l.open().append(jsonLines: Array(text.utf8))
        let before = try sqliteValue(l.path, "SELECT group_concat(site || ':' || seq || ':' || id || ':' || hash, ',') FROM (SELECT * FROM events ORDER BY rowid)")
        // Back to the schema before the migration: UNIQUE (site, id) and events_by_id, the migration not run.
        let queue = try DatabaseQueue(path: l.path)
        try queue.writeWithoutTransaction { db in
            try db.inTransaction {
                try Schema.rebuildEvents(db, edits: [("UNIQUE (id, site)", "UNIQUE (site, id)")], dropping: [])
                try db.execute(sql: "CREATE INDEX events_by_id ON events (id); DELETE FROM grdb_migrations WHERE identifier = 'perf-one-id-index'")
                return .commit
            }
        }
        try queue.close()
        #expect(try indexColumns(l.path).contains("site,id"))
        let store = try l.open()
        let columns = try indexColumns(l.path)
        #expect(columns.contains("id,site") && !columns.contains("id") && !columns.contains("site,id"), "\(columns)")
        #expect(try sqliteValue(l.path, "SELECT group_concat(site || ':' || seq || ':' || id || ':' || hash, ',') FROM (SELECT * FROM events ORDER BY rowid)") == before)
        #expect(try store.verify().isOK)
        // The rules the indexes hold still hold: the append-only triggers, one id per site.
        #expect(try sqlite(l.path, "DELETE FROM events WHERE seq = 1").status != 0)
        let copy = "CREATE TEMP TABLE t AS SELECT * FROM events WHERE seq = 1; UPDATE t SET rowid = 999999, seq = 999999;"
        let sameID = try sqlite(l.path, copy + " INSERT INTO events SELECT * FROM t;")
        #expect(sameID.status != 0 && "\(sameID)".contains("UNIQUE constraint failed: events.id, events.site"), "\(sameID)")
        let otherSite = try sqlite(l.path, copy + " UPDATE t SET site = 'south'; INSERT INTO events SELECT * FROM t; SELECT count(*) FROM events WHERE seq = 999999;")
        #expect(otherSite.status == 0 && otherSite.stdout.contains("1"), "\(otherSite)")
    }
}
