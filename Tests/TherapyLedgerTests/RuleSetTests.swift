import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// One rule set for what a ledger accepts (issue 10, item 1): times are range-checked on their UTC value in
/// append, verify and import alike, and an event is judged by the rule set it was recorded under.
@Suite struct RuleSetTests {
    @Test("a local time whose UTC value is out of range is refused at append", arguments: [
        "1900-01-01T00:00:00+14:00", "1900-01-01T05:00:00+05:01", "9999-12-31T23:30:00-01:00", "9999-12-31T20:00:00-04:00",
    ])
    func outOfRangeInUTC(_ time: String) throws {
        let l = try TestLedger()
        try l.append([enrol("P1")])
        #expect {
            try l.append([assessment("P1", at: time)])
        } throws: { e in
            guard let r = e as? BatchRejected else { return false }
            return r.errors.map(\.field) == ["occurredAt"] && r.errors[0].message.contains("in UTC, outside the accepted range")
        }
    }

    @Test("a local time whose UTC value is in range is accepted, verifies and imports", arguments: [
        "1899-12-31T22:00:00-02:00", "1900-01-01T00:00:00Z", "1900-01-01T14:00:00+14:00", "1899-12-31T23:59:59-00:01",
    ])
    func inRangeInUTC(_ time: String) throws {
        let north = try SyncSite("north", index: 1)
        let south = try SyncSite("south", index: 2)
        try north.append([enrol("P1", at: "1899-12-31T20:00:00-04:00"), assessment("P1", at: time)])
        #expect(try north.store.verify().isOK)
        let bundles = TempDir(inMemory: true)
        let report = try south.store.importBundle(from: north.export(to: bundles))
        #expect(report.newEvents == 2 && report.quarantined.isEmpty, "\(report.quarantined)")
        #expect(try south.store.verify().isOK)
    }

    @Test func newEventsRecordTheirRuleSet() throws {
        let l = try TestLedger()
        try l.append([enrol("P1")])
        let e = try #require(try l.open().recordedEvents(patient: "P1").first)
        #expect(String(decoding: e.canonical, as: UTF8.self).contains(#""rules":2,"#))
        #expect(e.rules == 2)
        // The submission content (duplicate detection) does not include it.
        let s = try #require(validateBatch([enrol("P1")]).entries?.first)
        #expect(e.contentDigest == s.submission.contentDigest(id: e.id))
        // A submission may not set it.
        #expect(validateBatch([enrol("P1"), #"{"type":"assessment.recorded","patient":"P1","occurredAt":"2025-01-01T00:00:00Z","author":"a","rules":1,"data":{"ashworth":"1"}}"#]).errors.map(\.field) == ["rules"])
    }

    @Test func anOldRuleEventThatNewerRulesRefuseIsNotedNotRefused() throws {
        // Given events recorded under rule set 1 (no rules member) that rule set 2 refuses: a time whose UTC value is
        // before 1900, a concentration of 5e-324 mcg/mL, a grade 4 adverse event not marked serious
        let west = try SyncSite("west", index: 2)
        try west.append([enrol("P1", at: "2025-01-01T00:00:00Z")])
        try forgeAppend(west, [
            assessment("P1", at: "1899-12-31T10:00:00Z"),
            event("pump.implanted", patient: "P1", at: "2025-02-01T00:00:00Z", data: json(#"{"pumpModel":"SynchroMed II","pumpSerial":"S","reservoirMl":20,"concentrationMcgPerMl":5e-324,"fillMl":20,"dailyDoseMcg":100}"#)),
            event("adverse-event.reported", patient: "P1", at: "2025-02-02T00:00:00Z", data: json(#"{"category":"infection","grade":4,"serious":false}"#)),
        ], rules: 1)
        // Then verify passes, noting each
        let report = try west.store.verify()
        #expect(report.isOK, "\(report.problems)")
        #expect(report.notes.count == 3, "\(report.notes)")
        #expect(report.notes.allSatisfy { $0.message.contains("recorded under rule set 1") })
        let cli = try TherapyLedgerTests.cli(["verify", "--ledger", west.path])
        #expect(cli.status == 0, "\(cli)")
        #expect(cli.stdout.contains("note: west:2"), "\(cli)")
        // And a peer imports them (the pre-1900 time is kept out of the projections, as every receiver judges it)
        let north = try SyncSite("north", index: 1)
        let bundles = TempDir(inMemory: true)
        let r = try north.store.importBundle(from: west.export(to: bundles))
        #expect(r.newEvents == 4)
        #expect(r.quarantined.count == 1 && r.quarantined[0].contains("west:2"), "\(r.quarantined)")
        #expect(try north.store.verify().isOK)
        // And no output carries inf or nan from the tiny concentration.
        let status = try TherapyLedgerTests.cli(["status", "--ledger", north.path, "--patient", "P1", "--json", "--as-of", "2025-03-01"])
        #expect(status.status == 0, "\(status)")
        try expectParsableJSON(status.stdout)
    }

    @Test func aRecordingTimeNeverGoesBackAtItsSite() throws {
        let dir = TempDir()
        let path = dir.file("l.sqlite")
        try LedgerStore.create(at: path, site: "north", network: "test", environment: testEnvironment())
        try LedgerStore.open(at: path, environment: testEnvironment()).append(jsonLines: Array((enrol("P1") + "\n").utf8))
        // The wall clock is set back a year: the next event is recorded at the last recording time.
        let back = try LedgerStore.open(at: path, environment: testEnvironment(now: testNow.adding(days: -365), idPrefix: "0195dddd-0000-7000-8000-"))
        _ = try back.append(jsonLines: Array((assessment("P1", at: "2024-06-01T00:00:00Z") + "\n").utf8))
        #expect(try back.recordedEvents(patient: "P1").map(\.recordedAt) == [testNow, testNow])
    }
}

/// Fails unless `text` is JSON (or JSON Lines) that JSONSerialization parses, with no inf or nan token.
func expectParsableJSON(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    for line in text.split(separator: "\n") where !line.isEmpty {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
        } catch {
            Issue.record("not JSON: \(error): \(line.prefix(300))", sourceLocation: sourceLocation)
        }
        for token in ["inf", "nan", "Infinity", "NaN"] where line.range(of: "[:,\\[]\\s*-?" + token + "\\b", options: .regularExpression) != nil {
            Issue.record("\(token) in JSON output: \(line.prefix(300))", sourceLocation: sourceLocation)
        }
    }
}
