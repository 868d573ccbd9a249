import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// Imported events are checked like appended ones, against their causal past (issue 10, item 2). A peer
/// (`west`) records, with its own valid key and signatures, events its software should have refused; the
/// receiver (`north`) keeps each in the chain but quarantines it: no projection changes, the patient's status
/// shows a critical `event-quarantined` alert naming `site:seq` and the rule, and west's later events import.
@Suite struct ImportValidationTests {
    final class World {
        let north: SyncSite
        let west: SyncSite
        let bundles = TempDir(inMemory: true)
        /// west's legitimate history: P1 (spinal, a 20 mL pump, an adverse event) and P2.
        var implantID = ""
        var report = ""
        var correction = ""

        init() throws {
            north = try SyncSite("north", index: 1)
            west = try SyncSite("west", index: 2)
            let ids = try west.append([
                enrol("P1", at: syncTime(0)), implant("P1", at: syncTime(10), reservoirMl: 20, fillMl: 20),
                event("adverse-event.reported", patient: "P1", at: syncTime(20), data: json(#"{"category":"infection","grade":2,"serious":false}"#)),
                enrol("P2", at: syncTime(0)), dose("P1", at: syncTime(30), mcg: 150),
            ])
            implantID = ids[1]
            report = ids[2]
            correction = try west.append([syncAmendDose("P1", target: ids[4], at: syncTime(40), mcg: 160)])[0]
            try sync()
        }

        /// north imports everything new from west; returns the import's quarantine lines.
        @discardableResult
        func sync() throws -> [String] {
            try north.store.importBundle(from: west.export(to: bundles, since: try north.store.clock())).quarantined
        }

        func status(_ patient: String) throws -> PatientStatus {
            try north.store.status(patient: patient, asOf: testNow)
        }
    }

    /// Each attack of the issue, and other members of its class: a line west could sign, and the rule it breaks.
    struct Attack: Sendable {
        var name: String
        var line: @Sendable (World) -> String
        var patient: String
        var rule: String
        init(_ name: String, _ line: @escaping @Sendable (World) -> String, _ patient: String, _ rule: String) {
            self.name = name
            self.line = line
            self.patient = patient
            self.rule = rule
        }
    }

    static let attacks: [Attack] = [
        Attack("event for a never-enrolled patient", { _ in assessment("P9", at: syncTime(50)) }, "P9", "unknown patient P9"),
        Attack("refill for a never-enrolled patient", { _ in syncRefill("P8", at: syncTime(50)) }, "P8", "unknown patient P8"),
        Attack("occurredAt in 2099", { _ in assessment("P1", at: "2099-01-01T00:00:00Z") }, "P1", "more than a day after the event was recorded"),
        Attack("void filed under another patient", { w in syncVoid("P2", target: w.implantID, at: syncTime(50)) }, "P2", "belongs to another patient"),
        Attack("void of a correction", { w in syncVoid("P1", target: w.correction, at: syncTime(50)) }, "P1", "a correction cannot be voided"),
        Attack("amend of a correction", { w in syncAmendDose("P1", target: w.correction, at: syncTime(50), mcg: 170) }, "P1", "a correction cannot be corrected"),
        Attack("resolution of another patient's report", { w in
            event("adverse-event.resolved", patient: "P2", at: syncTime(50), data: .object(["report": .string(w.report), "outcome": .string("recovered")]))
        }, "P2", "is not an adverse-event.reported of patient P2"),
        Attack("100 mL refill into a 20 mL pump", { _ in syncRefill("P1", at: syncTime(50), residualMl: 2, addedMl: 100) }, "P1", "overfills the 20 mL reservoir"),
        Attack("residual above the reservoir", { _ in syncRefill("P1", at: syncTime(50), residualMl: 30, addedMl: 10) }, "P1", "more than the 20 mL reservoir holds"),
        Attack("second enrolment flipping the origin", { _ in
            event("patient.enrolled", patient: "P1", at: syncTime(50), data: json(#"{"indication":"cerebral-palsy","origin":"cerebral"}"#))
        }, "P1", "already enrolled"),
        Attack("programming for a never-implanted patient", { _ in dose("P2", at: syncTime(50), mcg: 200) }, "P2", "no pump is implanted for patient P2"),
        Attack("bolus for a never-implanted patient", { _ in syncBolus("P2", at: syncTime(50)) }, "P2", "no pump is implanted for patient P2"),
        Attack("void of an implant with a programming after it", { w in syncVoid("P1", target: w.implantID, at: syncTime(50)) }, "P1", "no pump is in place"),
    ]

    @Test("an invalid event from a peer is quarantined, not refused", arguments: attacks.indices)
    func quarantined(_ k: Int) throws {
        let attack = Self.attacks[k]
        let w = try World()
        let before = try w.status("P1")
        let forged = try forgeAppend(w.west, [attack.line(w)])[0]
        // When north imports it
        let lines = try w.sync()
        // Then it is kept in the chain but quarantined, naming site:seq and the rule
        #expect(lines.count == 1, "\(attack.name): \(lines)")
        #expect(lines.first?.contains("west:\(forged.seq)") == true, "\(lines)")
        #expect(lines.first?.contains(attack.rule) == true, "\(attack.name): expected the rule \"\(attack.rule)\" in \(lines)")
        #expect(try w.north.store.eventCount() == (try w.west.store.eventCount()))
        let status = try w.status(attack.patient)
        let alert = try #require(alerts(status, code: "event-quarantined").first, "\(attack.name): no event-quarantined alert in \(status.alerts.map(\.code))")
        #expect(alert.severity == .critical)
        #expect(alert.eventIDs == [forged.id])
        #expect(alert.message.contains("west:\(forged.seq)") && alert.message.contains(attack.rule), "\(alert.message)")
        // And no projection changed: P1 reads as before but for the alert
        var p1 = try w.status("P1")
        p1.alerts.removeAll { $0.code == "event-quarantined" }
        #expect(p1 == before, "\(attack.name) changed P1's status")
        #expect(try w.north.store.timeline(patient: "P1").allSatisfy { $0.event.id != forged.id })
        // And west's chain keeps moving: its next valid event imports and counts
        try w.west.append([assessment("P1", at: syncTime(60))])
        #expect(try w.sync().isEmpty)
        #expect(try w.north.store.verify().isOK)
    }

    @Test func implausibleRecordingTimesAreQuarantinedAndTheChainMovesOn() throws {
        let w = try World()
        // recordedAt of 1900, of 9999, and earlier than west's previous event
        let forged = try forgeAppend(w.west, [assessment("P1", at: syncTime(50)), assessment("P1", at: syncTime(51)), assessment("P1", at: syncTime(52))],
                                     recordedAt: [ts("1900-01-01T00:00:00Z"), ts("9999-12-31T00:00:00Z"), ts("2025-03-02T00:00:00Z")])
        let lines = try w.sync()
        #expect(lines.count == 3, "\(lines)")
        #expect(lines[0].contains("recordedAt 1900-01-01T00:00:00Z is implausible"), "\(lines)")
        #expect(lines[1].contains("recordedAt 9999-12-31T00:00:00Z is implausible"), "\(lines)")
        // (compared with west's last accepted event, not with the quarantined ones before it)
        #expect(lines[2].contains("earlier than that of west:6 (2025-10-01T12:00:00Z)"), "\(lines)")
        let ids = Set(alerts(try w.status("P1"), code: "event-quarantined").flatMap(\.eventIDs))
        #expect(ids == Set(forged.map(\.id)))
        // The next honest event, recorded after the last accepted one, is not quarantined.
        try w.west.append([assessment("P1", at: syncTime(60))])
        #expect(try w.sync().isEmpty)
    }

    @Test func anEventBuiltOnAQuarantinedOneIsQuarantinedToo() throws {
        let w = try World()
        // P7's enrolment is itself invalid (it occurred in 2099): P7's next event has no enrolment in its past.
        try forgeAppend(w.west, [event("patient.enrolled", patient: "P7", at: "2099-01-01T00:00:00Z", data: json(#"{"indication":"other","origin":"spinal"}"#)),
                                 assessment("P7", at: syncTime(50))])
        let lines = try w.sync()
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.last?.contains("unknown patient P7") == true, "\(lines)")
    }

    @Test func everyReceiverReachesTheSameVerdictWhateverTheRoute() throws {
        // south gets west's events through north (a relay): the same events are quarantined there.
        let w = try World()
        let south = try SyncSite("south", index: 3)
        try forgeAppend(w.west, [syncRefill("P1", at: syncTime(50), addedMl: 100), assessment("P9", at: syncTime(51))])
        try w.sync()
        // south trusts west's key as confirmed out of band (a relay cannot vouch for it).
        _ = try south.store.trust(site: "west", fingerprint: try w.west.fingerprint())
        let viaNorth = try south.store.importBundle(from: w.north.export(to: w.bundles))
        #expect(viaNorth.quarantined.count == 2, "\(viaNorth.quarantined)")
        #expect(try south.store.status(patient: "P1", asOf: testNow) == (try w.status("P1")))
    }
}
