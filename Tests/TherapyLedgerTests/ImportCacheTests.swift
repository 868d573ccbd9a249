import Foundation
import GRDB
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore
import TherapyLedgerSimulation

/// Import answers validation's questions from what it has read of the ledger once and the events it inserted
/// since (``ImportPast``), filtered by each event's causal past. The verdicts must be those of one query per
/// question (debug builds, so every test, check each imported event both ways): these cases are where a cache
/// could go wrong, and every receiver must reach the same verdicts whatever the order the bundles arrive in.
@Suite struct ImportCacheTests {
    /// The quarantine table, as `site:seq rule` in site and seq order.
    static func quarantine(_ site: SyncSite) throws -> [String] {
        try site.store.db.read { db in
            try String.fetchAll(db, sql: "SELECT site || ':' || seq || ' ' || rule FROM quarantine ORDER BY site, seq")
        }
    }

    /// Whether a patient has events of another site that can conflict is asked once per patient with new ones:
    /// the patient's entries of the covering index answer, not its table rows.
    @Test func theOtherSiteProbeSearchesThePatientsIndexEntries() throws {
        let l = try TestLedger()
        let sql = LedgerStore.otherSiteConflictSQL.replacingOccurrences(of: "?", with: "'x'")
        let plan = try sqliteValue(l.path, "EXPLAIN QUERY PLAN \(sql)")
        #expect(plan.contains("SEARCH events USING COVERING INDEX events_facts_by_patient (patient=?)"), "\(plan)")
    }

    @Test func anEnrolmentHeldButOutsideTheEventsPastDoesNotCount() throws {
        let north = try SyncSite("north", index: 1), west = try SyncSite("west", index: 2), east = try SyncSite("east", index: 3)
        let south = try SyncSite("south", index: 4), relayed = try SyncSite("relayed", index: 5)
        try trustEachOther([north, west, east, south, relayed])
        let bundles = TempDir(inMemory: true)
        try west.append([enrol("P5", at: syncTime(0))])
        let westBundle = try west.export(to: bundles)
        try north.store.importBundle(from: westBundle)
        // east never saw west's enrolment of P5: its event is checked against what east had seen
        try forgeAppend(east, [assessment("P5", at: syncTime(10)), assessment("P5", at: syncTime(11))])
        let eastBundle = try east.export(to: bundles)
        let r = try north.store.importBundle(from: eastBundle)
        #expect(r.quarantined.count == 2 && r.quarantined.allSatisfy { $0.contains("unknown patient P5") }, "\(r.quarantined)")
        // The same in one import: a relay's bundle brings west's enrolment and east's events together
        try south.store.importBundle(from: westBundle)
        try south.store.importBundle(from: eastBundle)
        let viaSouth = try relayed.store.importBundle(from: south.export(to: bundles))
        #expect(viaSouth.quarantined.count == 2, "\(viaSouth.quarantined)")
        #expect(try Self.quarantine(relayed) == (try Self.quarantine(north)))
        #expect(try Self.quarantine(south) == (try Self.quarantine(north)))
    }

    @Test func eventsCheckedAgainstEarlierEventsOfTheSameBundle() throws {
        let north = try SyncSite("north", index: 1), west = try SyncSite("west", index: 2)
        let bundles = TempDir(inMemory: true)
        let ids = try west.append([enrol("P6", at: syncTime(0)), implant("P6", at: syncTime(10), reservoirMl: 20, fillMl: 20),
                                   dose("P6", at: syncTime(20), mcg: 150), enrol("P2", at: syncTime(0))])
        try west.append([syncAmendDose("P6", target: ids[2], at: syncTime(30), mcg: 160), syncRefill("P6", at: syncTime(40))])
        // Forged after them, in the same bundle: an overfill of the pump implanted above, a void filed under
        // another patient of an event above, an amend of a correction above, an interrogation of P2 (no pump).
        let forged = try forgeAppend(west, [syncRefill("P6", at: syncTime(50), addedMl: 100), syncVoid("P2", target: ids[1], at: syncTime(51)),
                                            event("pump.interrogated", patient: "P2", at: syncTime(52), data: json(#"{"finding":"no-alarm"}"#)),
                                            assessment("P6", at: syncTime(53))])
        let r = try north.store.importBundle(from: west.export(to: bundles))
        #expect(r.newEvents == 10)
        let q = try Self.quarantine(north)
        #expect(q.count == 3, "\(q)")
        #expect(q.first { $0.hasPrefix("west:\(forged[0].seq) ") }?.contains("overfills the 20 mL reservoir") == true, "\(q)")
        #expect(q.first { $0.hasPrefix("west:\(forged[1].seq) ") }?.contains("belongs to another patient") == true, "\(q)")
        #expect(q.first { $0.hasPrefix("west:\(forged[2].seq) ") }?.contains("no pump is in place for patient P2") == true, "\(q)")
    }

    @Test func aQuarantinedEventIsNoPumpExplantOrEnrolmentForTheEventsAfterIt() throws {
        let north = try SyncSite("north", index: 1), west = try SyncSite("west", index: 2)
        let bundles = TempDir(inMemory: true)
        try west.append([enrol("P8", at: syncTime(0)), enrol("P9", at: syncTime(0)), implant("P9", at: syncTime(5))])
        // P8's implant occurred in 2099 (quarantined): P8 has no pump. P9's explant was recorded in 1900
        // (quarantined): P9's pump stays in place. P7's enrolment occurred in 2099: P7 is not enrolled.
        try forgeAppend(west, [implant("P8", at: "2099-01-01T00:00:00Z"), dose("P8", at: syncTime(20)),
                               event("pump.explanted", patient: "P9", at: syncTime(21)), dose("P9", at: syncTime(22)),
                               enrol("P7", at: "2099-01-01T00:00:00Z"), assessment("P7", at: syncTime(23))],
                        recordedAt: [testNow, testNow, ts("1900-01-01T00:00:00Z"), testNow, testNow, testNow])
        let first = try north.store.importBundle(from: west.export(to: bundles))
        #expect(first.quarantined.count == 5, "\(first.quarantined)")
        #expect(first.quarantined.contains { $0.hasPrefix("west:5 ") && $0.contains("no pump is implanted for patient P8") }, "\(first.quarantined)")
        #expect(!first.quarantined.contains { $0.hasPrefix("west:7 ") }, "P9's dose counts: \(first.quarantined)")
        #expect(first.quarantined.contains { $0.hasPrefix("west:9 ") && $0.contains("unknown patient P7") }, "\(first.quarantined)")
        // And in a later import, read from the ledger again: the same
        try forgeAppend(west, [syncBolus("P8", at: syncTime(30)), syncBolus("P9", at: syncTime(31)), assessment("P7", at: syncTime(32))])
        let second = try north.store.importBundle(from: west.export(to: bundles, since: try north.store.clock()))
        #expect(second.quarantined.map { String($0.prefix(8)) } == ["west:10 ", "west:12 "], "\(second.quarantined)")
    }

    @Test("pumps of the same time: the one the index lists first (the smaller reservoir) is in place", arguments: [false, true])
    func pumpsOfTheSameTime(_ largerFirst: Bool) throws {
        let north = try SyncSite("north", index: 1), west = try SyncSite("west", index: 2)
        let bundles = TempDir(inMemory: true)
        let replaced = { (ml: Double) in
            event("pump.replaced", patient: "P1", at: syncTime(10), data: .object([
                "pumpModel": .string("SynchroMed II"), "pumpSerial": .string("NGP2"), "reservoirMl": .number(ml),
                "concentrationMcgPerMl": .number(2000), "fillMl": .number(10), "dailyDoseMcg": .number(100),
            ]))
        }
        try west.append([enrol("P1", at: syncTime(0)), implant("P1", at: syncTime(10), reservoirMl: largerFirst ? 40 : 20, fillMl: 10)])
        // One pump in the ledger, the other of the same time in the next bundle with a refill that fits only the larger
        try north.store.importBundle(from: west.export(to: bundles))
        try forgeAppend(west, [replaced(largerFirst ? 20 : 40), syncRefill("P1", at: syncTime(20), residualMl: 1, addedMl: 30)])
        let r = try north.store.importBundle(from: west.export(to: bundles, since: try north.store.clock()))
        #expect(r.quarantined.count == 1 && r.quarantined[0].hasPrefix("west:4 ") && r.quarantined[0].contains("overfills the 20 mL reservoir"),
                "\(r.quarantined)")
    }

    @Test func theLastAcceptedEventOfASiteIsFollowedAcrossImports() throws {
        let north = try SyncSite("north", index: 1), west = try SyncSite("west", index: 2)
        let bundles = TempDir(inMemory: true)
        try west.append([enrol("P1", at: syncTime(0))])
        try forgeAppend(west, [assessment("P1", at: syncTime(1)), assessment("P1", at: syncTime(2))],
                        recordedAt: [ts("2025-10-02T00:00:00Z"), ts("9999-01-01T00:00:00Z")])
        let first = try north.store.importBundle(from: west.export(to: bundles))
        #expect(first.quarantined.count == 1 && first.quarantined[0].hasPrefix("west:3 "), "\(first.quarantined)")
        // west:3 is quarantined: west:4 is compared with west:2 (recorded 2025-10-02), west:5 with west:4
        try forgeAppend(west, [assessment("P1", at: syncTime(3)), assessment("P1", at: syncTime(4))],
                        recordedAt: [ts("2025-10-03T00:00:00Z"), ts("2025-10-02T12:00:00Z")])
        let second = try north.store.importBundle(from: west.export(to: bundles, since: try north.store.clock()))
        #expect(second.quarantined.count == 1 && second.quarantined[0].hasPrefix("west:5 ")
                && second.quarantined[0].contains("earlier than that of west:4"), "\(second.quarantined)")
    }

    @Test("receivers reach the same verdicts whatever the order and route of the bundles", arguments: 0..<12)
    func sameVerdictsWhateverTheOrder(_ seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &+ 90_210)
        let west = try SyncSite("west", index: 1), east = try SyncSite("east", index: 2), south = try SyncSite("south", index: 3)
        let receivers = try (0..<4).map { try SyncSite("r\($0)", index: 10 + $0) }
        try trustEachOther([west, east, south] + receivers)
        let bundles = TempDir(inMemory: true)
        var minute = 0
        var recorded: [String: [RecordedEvent]] = [:]
        /// Events with no check at their origin, valid or not, referring to what that origin recorded.
        func forgeSome(_ site: SyncSite, _ count: Int) throws {
            var lines: [String] = []
            var times: [Timestamp] = []
            for _ in 0..<count {
                minute += rng.int(1...300)
                let p = rng.pick(["P1", "P2", "P3"])
                let at = syncTime(minute)
                let mine = recorded[site.name] ?? []
                switch rng.int(0...11) {
                case 0, 1: lines.append(enrol(p, at: at))
                case 2: lines.append(implant(p, at: at, reservoirMl: Double(rng.pick([10, 20, 40])), fillMl: 10))
                case 3: lines.append(dose(p, at: at, mcg: Double(rng.int(50...300))))
                case 4: lines.append(syncRefill(p, at: at, residualMl: Double(rng.pick([1, 12])), addedMl: Double(rng.pick([5, 15, 35]))))
                case 5: lines.append(syncBolus(p, at: at))
                case 6: lines.append(event("pump.explanted", patient: p, at: at))
                case 7 where !mine.isEmpty:
                    let t = rng.pick(mine)
                    lines.append(syncVoid(rng.chance(0.8) ? t.patient : p, target: t.id, at: at))
                case 8 where !mine.isEmpty:
                    let t = rng.pick(mine)
                    lines.append(syncAmendDose(t.patient, target: t.id, at: at, mcg: Double(rng.int(50...300))))
                case 9: lines.append(assessment(p, at: rng.chance(0.1) ? "2099-01-01T00:00:00Z" : at))
                default: lines.append(assessment(p, at: at))
                }
                times.append(rng.chance(0.08) ? ts(rng.pick(["1900-01-01T00:00:00Z", "2025-01-01T00:00:00Z"])) : testNow)
            }
            recorded[site.name, default: []] += try forgeAppend(site, lines, recordedAt: times)
        }
        // west and east record independently (neither sees the other); west's history comes in two bundles.
        try forgeSome(west, rng.int(4...12))
        let westFirst = try west.export(to: bundles)
        try forgeSome(east, rng.int(4...12))
        try forgeSome(west, rng.int(2...8))
        let westAll = try west.export(to: bundles)
        let eastAll = try east.export(to: bundles)
        // r0: west, then east; r1: east, then west; r2: west's first part, east, then all of west; r3: through south.
        for b in [westAll, eastAll] { try receivers[0].store.importBundle(from: b) }
        for b in [eastAll, westAll] { try receivers[1].store.importBundle(from: b) }
        for b in [westFirst, eastAll, westAll] { try receivers[2].store.importBundle(from: b) }
        for b in [eastAll, westFirst, westAll] { try south.store.importBundle(from: b) }
        try receivers[3].store.importBundle(from: south.export(to: bundles))
        let expected = try Self.quarantine(receivers[0])
        for r in receivers.dropFirst() + [south] {
            #expect(try Self.quarantine(r) == expected, "seed \(seed): \(r.name) differs from r0")
            #expect(try r.store.eventCount() == (try receivers[0].store.eventCount()))
        }
    }
}
