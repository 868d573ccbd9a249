import Foundation
import Testing
@testable import TherapyLedgerStore

/// The query plans the ledger's speed depends on: a changed column list or a new index can silently
/// turn an index search into a walk over far more pages, which no result-checking test would notice.
@Suite struct QueryPlanTests {
    /// Every read of a patient's events is answered by the covering index alone: one column too many
    /// in ProjectionRows.columns would silently send each row back to a scattered table page.
    @Test func patientReadsUseOnlyTheCoveringIndex() throws {
        let l = try PatientScanTests.ledger()
        for filter in ["WHERE rowid <= 9999 AND patient >= 'S0100' AND patient < 'S0200' ORDER BY patient", "WHERE rowid <= 9999 ORDER BY patient",
                       "WHERE patient = 'S0001' AND rowid <= 9999", "WHERE patient = 'S0001'"] {
            let plan = try sqliteValue(l.path, "EXPLAIN QUERY PLAN SELECT \(ProjectionRows.columns) FROM events \(filter)")
            #expect(plan.contains("USING COVERING INDEX events_facts_by_patient"), "\(filter): \(plan)")
        }
        // The append's history check on a patient's pump history (``PumpHistory``) reads the same way.
        let pumpHistory = PumpHistory.sql.replacingOccurrences(of: "patient = ?", with: "patient = 'S0001'").replacingOccurrences(of: "rowid > ?", with: "rowid > 9999")
        let plan = try sqliteValue(l.path, "EXPLAIN QUERY PLAN " + pumpHistory)
        #expect(plan.contains("USING COVERING INDEX events_facts_by_patient"), "\(pumpHistory): \(plan)")
        #expect(ProjectionRows.columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }[Int(ProjectionRows.rowidColumn)] == "rowid")
    }

    /// Batch validation asks, for every line, whether the patient is enrolled and which pumps and explants
    /// it has: small partial indexes answer, never the patient's entries in the wide covering index.
    @Test func appendValidationUsesTheSmallPartialIndexes() throws {
        let l = try TestLedger()
        let queries = [
            ("SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_enrolments WHERE patient = 'P' AND type = 1)", "events_enrolments"),
            ("SELECT occurred_at, reservoir_ml FROM events INDEXED BY events_pumps WHERE patient = 'P' AND type IN (3, 10)", "events_pumps"),
            ("SELECT occurred_at FROM events INDEXED BY events_explants WHERE patient = 'P' AND type = 11", "events_explants"),
        ]
        let source = try String(contentsOfFile: rootPath("Sources/TherapyLedgerStore/StoreContext.swift"), encoding: .utf8)
        for (sql, index) in queries {
            #expect(source.contains(sql.replacingOccurrences(of: "'P'", with: "?")), "StoreContext no longer runs: \(sql)")
            let plan = try sqliteValue(l.path, "EXPLAIN QUERY PLAN \(sql)")
            #expect(plan.contains("INDEX \(index) (patient=?)"), "\(sql): \(plan)")
        }
    }

    /// What every append asks besides the lines' own questions: each site's last seq (the vector clock) and
    /// whether a touched patient has a correction (the history gate). Each must be an index search: a walk over
    /// `UNIQUE (site, seq)` or a patient's covering-index entries grows with the ledger, once per batch.
    @Test func appendsSeekTheClockAndTheCorrections() throws {
        let l = try TestLedger()
        let queries = [
            ("Sources/TherapyLedgerStore/LedgerStore.swift", "SELECT MIN(site) FROM events"),
            ("Sources/TherapyLedgerStore/LedgerStore.swift", "SELECT site FROM events WHERE site > ? ORDER BY site LIMIT 1"),
            ("Sources/TherapyLedgerStore/LedgerStore.swift", "SELECT MAX(seq) FROM events WHERE site = ?"),
            ("Sources/TherapyLedgerStore/LedgerStore+HistoryGate.swift",
             "SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_corrections WHERE patient = ? AND type = \\(EventType.eventCorrected.code))"),
            ("Sources/TherapyLedgerStore/Sync/ImportValidation.swift",
             "SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_corrections WHERE patient = ? AND type = \\(EventType.eventCorrected.code))"),
        ]
        for (file, sql) in queries {
            let source = try String(contentsOfFile: rootPath(file), encoding: .utf8)
            #expect(source.contains(sql), "\(file) no longer runs: \(sql)")
            let runnable = sql.replacingOccurrences(of: "?", with: "'x'").replacingOccurrences(of: "\\(EventType.eventCorrected.code)", with: "13")
            let plan = try sqliteValue(l.path, "EXPLAIN QUERY PLAN \(runnable)")
            #expect(plan.contains("SEARCH events") && !plan.contains("SCAN events"), "\(runnable): \(plan)")
        }
    }

    /// A status read asks of each of the patient's events whether another row has its id: the patient's
    /// covering index and an index-only probe of the id index answer, and only events that share an id are
    /// joined to the other rows (which needs their table rows).
    @Test func foreignIDCollisionsProbeTheIdIndexOnly() throws {
        let l = try PatientScanTests.ledger()
        let sql = LedgerStore.foreignIDCollisionsSQL.replacingOccurrences(of: "?", with: "1")
        let plan = try sqliteValue(l.path, "EXPLAIN QUERY PLAN \(sql)")
        #expect(plan.contains("SEARCH e1 USING COVERING INDEX events_facts_by_patient (patient=?)"), "\(plan)")
        // The one id index, UNIQUE (id, site) (migration perf-one-id-index), under the name SQLite gives it.
        let idIndex = try sqliteValue(l.path, """
            SELECT il.name FROM pragma_index_list('events') il WHERE (SELECT group_concat(name) FROM pragma_index_info(il.name)) = 'id,site'
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(idIndex.hasPrefix("sqlite_autoindex_events_"), "\(idIndex)")
        #expect(plan.contains("SEARCH e3 USING COVERING INDEX \(idIndex) (id=?)"), "\(plan)")
        #expect(plan.contains("SEARCH e2 USING INDEX \(idIndex) (id=?)"), "\(plan)")
    }
}
