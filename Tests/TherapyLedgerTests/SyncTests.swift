import Crypto
import Foundation
import Testing
@testable import TherapyLedgerCore
@testable import TherapyLedgerStore

/// Two sites, north and south, plus a directory for bundles.
private struct Pair {
    let north: SyncSite
    let south: SyncSite
    let bundles = TempDir(inMemory: true)

    init() throws {
        north = try SyncSite("north", index: 1)
        south = try SyncSite("south", index: 2)
    }
}

/// P1 enrolled, implanted and programmed at north: 3 events.
@discardableResult
private func seedNorth(_ north: SyncSite, patient: String = "P1") throws -> [String] {
    try north.append([enrol(patient, at: syncTime(0)), implant(patient, at: syncTime(60)), dose(patient, at: syncTime(120), mcg: 150)])
}

@Suite(.serialized) struct SyncTests {
    // MARK: Idempotence and order

    @Test func importingTwiceChangesNothing() throws {
        let w = try Pair()
        try seedNorth(w.north)
        let bundle = try w.north.export(to: w.bundles)
        let first = try w.south.store.importBundle(from: bundle)
        #expect((first.newEvents, first.duplicates, first.conflicts) == (3, 0, 0))
        #expect(first.sender == "north")
        let after = try w.south.snapshot()
        let second = try w.south.store.importBundle(from: bundle)
        #expect((second.newEvents, second.duplicates, second.conflicts) == (0, 3, 0))
        #expect(try w.south.snapshot() == after)
        #expect(try SyncObservation(w.south) == SyncObservation(w.north))
        // `sites` lists north with its pinned fingerprint, last seq and the bundle seen.
        let north = try #require(try w.south.store.sites().first { $0.site == "north" })
        #expect(north.fingerprint == (try w.north.fingerprint()))
        #expect(north.lastSeq == 3)
        #expect(north.lastBundle?.hasPrefix((bundle as NSString).lastPathComponent) == true)
        #expect(try w.south.store.verify().isOK)
    }

    @Test func anOldBundleAfterANewerOneBringsNothing() throws {
        let w = try Pair()
        try seedNorth(w.north)
        let old = try w.north.export(to: w.bundles)
        try w.north.append([assessment("P1", at: syncTime(180)), dose("P1", at: syncTime(240), mcg: 175)])
        let newer = try w.north.export(to: w.bundles)
        #expect(try w.south.store.importBundle(from: newer).newEvents == 5)
        let after = try w.south.snapshot()
        let r = try w.south.store.importBundle(from: old)
        #expect((r.newEvents, r.duplicates) == (0, 3))
        #expect(try w.south.snapshot().lines == after.lines)
        #expect(try w.south.store.clock() == VectorClock(["north": 5]))
    }

    @Test func aGapIsRefusedNamingTheMissingRangeAndRetriedLater() throws {
        let w = try Pair()
        try seedNorth(w.north)  // north 1-3
        let b1 = try w.north.export(to: w.bundles)
        #expect(try w.south.store.importBundle(from: b1).newEvents == 3)
        try w.north.append([assessment("P1", at: syncTime(180)), assessment("P1", at: syncTime(181)), assessment("P1", at: syncTime(182))])
        let b2 = try w.north.export(to: w.bundles, since: VectorClock(["north": 3]))  // north 4-6
        try w.north.append([dose("P1", at: syncTime(240), mcg: 200)])
        let b3 = try w.north.export(to: w.bundles, since: VectorClock(["north": 6]))  // north 7
        try expectRefused(w.south, b3, ["missing north 4-6: import the earlier bundle first"])
        #expect(try w.south.store.clock() == VectorClock(["north": 3]))
        #expect(try w.south.store.importBundle(from: b2).newEvents == 3)
        #expect(try w.south.store.importBundle(from: b3).newEvents == 1)
        #expect(try SyncObservation(w.south) == SyncObservation(w.north))
    }

    /// An amend whose target is in a part of the history this ledger lacks: the missing range is named
    /// (a gap to fill), not an unknown correction target (a bundle to distrust).
    @Test func anAmendAfterAGapIsRefusedAsAGap() throws {
        let w = try Pair()
        let ids = try w.north.append([enrol("P1", at: syncTime(0)), implant("P1", at: syncTime(30)), dose("P1", at: syncTime(60), mcg: 150)])  // north 1-3
        try w.north.append([syncAmendDose("P1", target: ids[2], at: syncTime(120), mcg: 160)])  // north 4
        let tail = try w.north.export(to: w.bundles, since: VectorClock(["north": 3]))
        try expectRefused(w.south, tail, ["missing north 1-3: import the earlier bundle first"])
        #expect(try w.south.store.importBundle(from: w.north.export(to: w.bundles)).newEvents == 4)
    }

    @Test func anEventWhoseCausalPastIsMissingIsRefused() throws {
        // east has seen south's event; a bundle of east's events only (since south's part) reaches north.
        let w = try Pair()
        let east = try SyncSite("east", index: 3)
        try trustEachOther([w.north, w.south, east])
        try seedNorth(w.north)
        try w.south.store.importBundle(from: w.north.export(to: w.bundles))
        try w.south.append([assessment("P1", at: syncTime(200))])
        try east.store.importBundle(from: w.south.export(to: w.bundles))
        try east.append([dose("P1", at: syncTime(300), mcg: 90)])
        let eastOnly = try east.export(to: w.bundles, since: VectorClock(["north": 3, "south": 1]))
        try expectRefused(w.north, eastOnly, ["missing south 1-1", "import the earlier bundle first"])
    }

    // MARK: Damaged bundles

    @Test func aTruncatedBundleIsRefused() throws {
        let w = try Pair()
        try seedNorth(w.north)
        try w.north.append([assessment("P1", at: syncTime(180))])
        let lines = try bundleLines(try w.north.export(to: w.bundles))
        // The header, 4 events and both batches' heads (north:3 and north:4).
        #expect(lines.count == 1 + 4 + 2)
        // Without the last head line, without the last two heads, and cut in the middle of a line.
        try expectRefused(w.south, writeBundle(Array(lines.dropLast()), in: w.bundles, "no-head.jsonl"), ["truncated"])
        try expectRefused(w.south, writeBundle(Array(lines.dropLast(2)), in: w.bundles, "no-last.jsonl"), [])
        let text = lines.map { $0 + "\n" }.joined()
        let cut = w.bundles.write("cut.jsonl", String(text.prefix(text.count - 40)))
        try expectRefused(w.south, cut, [])
        try expectRefused(w.south, w.bundles.write("header-only.jsonl", lines[0] + "\n"), [])
        try expectRefused(w.south, w.bundles.write("empty.jsonl", ""), ["empty"])
    }

    @Test func aBitFlipAnywhereIsRefused() throws {
        let w = try Pair()
        try seedNorth(w.north)
        let path = try w.north.export(to: w.bundles)
        let bytes = try #require(FileManager.default.contents(atPath: path).map { Array($0) })
        var positions = Array(stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)))
        positions.append(bytes.count - 1)  // the final newline
        for (k, i) in positions.enumerated() {
            var flipped = bytes
            flipped[i] ^= UInt8(1 << (k % 7))
            let p = w.bundles.file("flip-\(i).jsonl")
            try #require(FileManager.default.createFile(atPath: p, contents: Data(flipped)))
            try expectRefused(w.south, p, [])
        }
        #expect(try w.south.store.eventCount() == 0)
    }

    @Test func reorderedEventLinesAreRefused() throws {
        let w = try Pair()
        try seedNorth(w.north)
        var lines = try bundleLines(try w.north.export(to: w.bundles))
        lines.swapAt(2, 3)  // north:2 and north:3
        try expectRefused(w.south, writeBundle(lines, in: w.bundles, "swapped.jsonl"), [])
        // The head line moved before the events it covers.
        var headFirst = try bundleLines(try w.north.export(to: w.bundles))
        headFirst.insert(headFirst.removeLast(), at: 1)
        try expectRefused(w.south, writeBundle(headFirst, in: w.bundles, "head-first.jsonl"), [])
    }

    @Test func aHeaderReSignedByAnotherKeyIsRefused() throws {
        let w = try Pair()
        try seedNorth(w.north)
        let path = try w.north.export(to: w.bundles)
        var lines = try bundleLines(path)
        var header = try bundleHeader(path)
        let intruder = Curve25519.Signing.PrivateKey()
        // Re-signed, keys untouched: the signature does not verify with north's key.
        try header.sign(with: intruder)
        lines[0] = String(decoding: header.line, as: UTF8.self)
        try expectRefused(w.south, writeBundle(lines, in: w.bundles, "resigned.jsonl"), ["signature"])
        // Re-signed with the intruder's key announced as north's: the heads do not verify on first sight...
        header.keys["north"] = ChainHash.hex(Array(intruder.publicKey.rawRepresentation))
        try header.sign(with: intruder)
        lines[0] = String(decoding: header.line, as: UTF8.self)
        let impostor = writeBundle(lines, in: w.bundles, "impostor.jsonl")
        try expectRefused(w.south, impostor, ["does not verify"])
        // ...and once north's real key is pinned, the substituted key is named.
        try w.south.store.importBundle(from: path)
        try expectRefused(w.south, impostor, ["site north presents key", try w.north.fingerprint()])
    }

    // MARK: Keys, forks, networks, versions

    @Test func aKeySubstitutionIsRefusedNamingBothFingerprints() throws {
        let w = try Pair()
        let fake = try SyncSite("north", index: 9)
        try seedNorth(w.north)
        try seedNorth(fake, patient: "P9")
        try w.south.store.importBundle(from: w.north.export(to: w.bundles))
        let realPrint = try w.north.fingerprint(), fakePrint = try fake.fingerprint()
        #expect(realPrint != fakePrint)
        try expectRefused(w.south, fake.export(to: w.bundles), ["site north presents key \(fakePrint)", "pinned \(realPrint)", "impersonation"])
        // A relay of the fake site's events through a third site is refused too.
        let east = try SyncSite("east", index: 3)
        try east.store.importBundle(from: fake.export(to: w.bundles))
        try expectRefused(w.south, east.export(to: w.bundles), [fakePrint, realPrint])
    }

    @Test func aForkIsRefusedAndBothSidesAreKept() throws {
        let w = try Pair()
        try w.north.append([enrol("P1", at: syncTime(0))])  // north:1, shared
        let restored = try SyncSite(restoredFrom: w.north, index: 8)
        try w.north.append([implant("P1", at: syncTime(60))])  // north:2 here...
        try restored.append([assessment("P1", at: syncTime(61))])  // ...and a different north:2 there
        try w.south.store.importBundle(from: w.north.export(to: w.bundles))
        let forked = try restored.export(to: w.bundles)
        let message = try expectRefused(w.south, forked, ["site north has forked its history", "north:2", "fork_evidence"])
        #expect(message.contains("Stop syncing with north"))
        let evidence = try sqliteValue(w.south.path, "SELECT site || ':' || seq || ' ' || recorded_hash || ' ' || incoming_hash || ' ' || bundle FROM fork_evidence")
        let recorded = try sqliteValue(w.north.path, "SELECT hash FROM events WHERE seq = 2")
        let incoming = try sqliteValue(restored.path, "SELECT hash FROM events WHERE seq = 2")
        #expect(recorded != incoming)
        #expect(evidence == "north:2 \(recorded) \(incoming) \(forked)")
        // Refusing again keeps one row per distinct incoming event.
        try expectRefused(w.south, forked, ["forked"])
        #expect(try sqliteValue(w.south.path, "SELECT COUNT(*) FROM fork_evidence") == "1")
    }

    // The same id at two sites: see IdCollisionTests (kept, shown, never blocking).

    @Test func aBundleFromAnotherNetworkIsRefused() throws {
        let w = try Pair()
        let stranger = try SyncSite("north", index: 7, network: "elsewhere")
        try seedNorth(stranger)
        try expectRefused(w.south, stranger.export(to: w.bundles), ["network elsewhere", "network test", "never cross networks"])
    }

    @Test func anUnknownFormatVersionIsRefusedClearly() throws {
        let w = try Pair()
        try seedNorth(w.north)
        var lines = try bundleLines(try w.north.export(to: w.bundles))
        lines[0] = lines[0].replacingOccurrences(of: "\"therapy-ledger-bundle/1\"", with: "\"therapy-ledger-bundle/2\"")
        try expectRefused(w.south, writeBundle(lines, in: w.bundles, "v2.jsonl"),
                          ["unknown bundle format \"therapy-ledger-bundle/2\"", "reads therapy-ledger-bundle/1 only", "upgrade"])
        lines[0] = "{\"hello\":1}"
        try expectRefused(w.south, writeBundle(lines, in: w.bundles, "nofmt.jsonl"), ["not a therapy-ledger bundle"])
    }

    // MARK: Conflicts

    @Test func programmingAfterSeeingTheOtherSiteRaisesNoConflict() throws {
        let w = try Pair()
        try seedNorth(w.north)
        try w.south.store.importBundle(from: w.north.export(to: w.bundles))
        // Negative control: south programs after importing north's programming.
        try w.south.append([dose("P1", at: syncTime(200), mcg: 180)])
        let back = try w.north.store.importBundle(from: w.south.export(to: w.bundles, since: try w.north.store.clock()))
        #expect((back.newEvents, back.conflicts) == (1, 0))
        for site in [w.north, w.south] {
            let s = try site.store.status(patient: "P1", asOf: testNow)
            #expect(s.conflicts.isEmpty, "\(site.name): \(s.conflicts)")
            #expect(!s.alerts.contains { $0.code == "concurrent-programming" })
            #expect(s.dose?.dailyDoseMcg == 180)
        }
    }

    @Test func concurrentProgrammingIsAConflictShownWithBothEvents() throws {
        let w = try Pair()
        try seedNorth(w.north)
        try w.south.store.importBundle(from: w.north.export(to: w.bundles))
        let n = try w.north.append([dose("P1", at: syncTime(200), mcg: 160)])
        let s = try w.south.append([dose("P1", at: syncTime(210), mcg: 190)])
        let toNorth = try w.north.store.importBundle(from: w.south.export(to: w.bundles, since: try w.north.store.clock()))
        let toSouth = try w.south.store.importBundle(from: w.north.export(to: w.bundles, since: try w.south.store.clock()))
        #expect((toNorth.newEvents, toNorth.conflicts) == (1, 1))
        #expect((toSouth.newEvents, toSouth.conflicts) == (1, 1))
        let pair = (n + s).sorted()
        for site in [w.north, w.south] {
            let status = try site.store.status(patient: "P1", asOf: testNow)
            #expect(status.conflicts.map(\.eventIDs) == [pair])
            #expect(status.conflicts.first?.resolvedBy == nil)
            let alert = status.alerts.first { $0.code == "concurrent-programming" }
            #expect(alert.map { Set($0.eventIDs).isSuperset(of: pair) } == true, "\(site.name): \(status.alerts)")
        }
        #expect(try SyncObservation(w.north) == SyncObservation(w.south))
        // A later programming that has seen both resolves it, everywhere.
        let r = try w.north.append([dose("P1", at: syncTime(300), mcg: 170)])
        try w.south.store.importBundle(from: w.north.export(to: w.bundles, since: try w.south.store.clock()))
        for site in [w.north, w.south] {
            let status = try site.store.status(patient: "P1", asOf: testNow)
            #expect(status.conflicts.map(\.resolvedBy) == [r.first])
            #expect(!status.alerts.contains { $0.code == "concurrent-programming" })
        }
    }

    @Test func wallClocksSkewedByDaysChangeNeitherOrderNorConflicts() throws {
        /// The same script at three sites; `skews` are the sites' wall-clock errors in days.
        func play(skews: [Double]) throws -> (SyncObservation, SyncObservation, Int) {
            let bundles = TempDir(inMemory: true)
            let sites = try ["north", "south", "east"].enumerated().map { try SyncSite($0.element, index: $0.offset + 1, skewDays: skews[$0.offset]) }
            let (north, south, east) = (sites[0], sites[1], sites[2])
            try trustEachOther(sites)
            try seedNorth(north)
            try south.store.importBundle(from: north.export(to: bundles))
            try east.store.importBundle(from: north.export(to: bundles))
            // Three concurrent dose-setting events (two at the same clinical minute), then a correction.
            try north.append([dose("P1", at: syncTime(200), mcg: 160)])
            let southDose = try south.append([dose("P1", at: syncTime(200), mcg: 190), assessment("P1", at: syncTime(205))])
            try east.append([syncRefill("P1", at: syncTime(190), concentration: 1500)])
            func exchange() throws {
                for a in sites { for b in sites where a !== b {
                    try b.store.importBundle(from: a.export(to: bundles, since: try b.store.clock()))
                } }
            }
            try exchange()
            // Concurrent corrections of south's dose at north and east; south resolves the programming conflicts.
            try north.append([syncAmendDose("P1", target: southDose[0], at: syncTime(300), mcg: 185)])
            try east.append([syncVoid("P1", target: southDose[0], at: syncTime(300))])
            try south.append([dose("P1", at: syncTime(320), mcg: 175)])
            try exchange()
            let o = try SyncObservation(north, stripRecordedAt: true)
            #expect(o == (try SyncObservation(east, stripRecordedAt: true)))
            return (o, try SyncObservation(south, stripRecordedAt: true), o.conflictCount)
        }
        let (plain, plainSouth, conflicts) = try play(skews: [0, 0, 0])
        let (skewed, skewedSouth, _) = try play(skews: [5, -3, 0.5])
        #expect(conflicts >= 4, "the script should raise concurrent programming and correction conflicts")
        #expect(plain == skewed, "\(skewed.firstDifference(from: plain))")
        #expect(plainSouth == skewedSouth)
    }

    // MARK: Relay and peers

    @Test func aRelayFromNorthThroughSouthReachesEast() throws {
        let w = try Pair()
        let east = try SyncSite("east", index: 3)
        // A relay carries a site's events only where its key is trusted (see SyncTrustTests).
        try trustEachOther([w.north, w.south, east])
        try seedNorth(w.north)
        try w.south.store.importBundle(from: w.north.export(to: w.bundles))
        try w.south.append([assessment("P1", at: syncTime(200))])
        let relayed = try w.south.export(to: w.bundles, since: try east.store.clock())
        let header = try bundleHeader(relayed)
        #expect(header.sender == "south")
        #expect(Set(header.keys.keys) == ["north", "south"])
        #expect(header.headCount == 2)
        let r = try east.store.importBundle(from: relayed)
        #expect((r.newEvents, r.duplicates) == (4, 0))
        #expect(try east.store.verify().isOK)
        #expect(try east.store.sites().first { $0.site == "north" }?.fingerprint == w.north.fingerprint())
        #expect(try SyncObservation(east) == SyncObservation(w.south))
        // North's own events come back to it as duplicates; south's is new.
        let back = try w.north.store.importBundle(from: east.export(to: w.bundles))
        #expect((back.newEvents, back.duplicates) == (1, 3))
    }

    @Test func peerExportUsesTheClockThePeerLastReported() throws {
        try requireCLI()
        let w = try Pair()
        try seedNorth(w.north)
        try w.south.store.importBundle(from: w.north.export(to: w.bundles))
        try w.south.append([assessment("P1", at: syncTime(200))])
        #expect(try w.north.store.peerClock("south") == nil)
        let unknown = try cli(["sync", "export", "--ledger", w.north.path, "--peer", "south", "--out", w.bundles.file("none.jsonl")])
        #expect(unknown.status != 0 && unknown.output.contains("no bundle from site south"), "\(unknown)")
        // south reports its clock {north 3, south 1} in a bundle to north.
        let report = try cli(["sync", "export", "--ledger", w.south.path, "--out", w.bundles.file("from-south.jsonl")])
        #expect(report.status == 0, "\(report)")
        let imported = try cli(["sync", "import", "--ledger", w.north.path, w.bundles.file("from-south.jsonl")])
        #expect(imported.stdout == "imported \(w.bundles.file("from-south.jsonl")) from south: 1 new, 3 duplicate, 0 conflicts\n", "\(imported)")
        let reported = VectorClock(["north": 3, "south": 1])
        #expect(try w.north.store.peerClock("south") == reported)
        try w.north.append([dose("P1", at: syncTime(300), mcg: 175)])
        let clock = try cli(["sync", "clock", "--ledger", w.north.path])
        #expect(clock.stdout == "{\"north\":4,\"south\":1}\n", "\(clock)")
        let out = w.bundles.file("to-south.jsonl")
        let peer = try cli(["sync", "export", "--ledger", w.north.path, "--peer", "south", "--out", out])
        #expect(peer.status == 0, "\(peer)")
        let header = try bundleHeader(out)
        #expect(header.since == reported)
        #expect(header.count == 1)
        let r = try cli(["sync", "import", "--ledger", w.south.path, out])
        #expect(r.stdout.hasSuffix("1 new, 0 duplicate, 0 conflicts\n"), "\(r)")
        let sites = try cli(["sites", "--ledger", w.south.path])
        #expect(sites.stdout.contains("north  \(try w.north.fingerprint())  last seq 4"), "\(sites)")
        // A refused import exits 1 and says nothing was written.
        let again = try cli(["sync", "import", "--ledger", w.north.path, writeBundle(["{\"format\":\"x\"}"], in: w.bundles, "bad.jsonl")])
        #expect(again.status == 1 && again.stderr.contains("import refused, nothing written"), "\(again)")
    }

    // MARK: Schema

    @Test func aRealBundleMatchesTheBundleSchemas() throws {
        let w = try Pair()
        try seedNorth(w.north)
        try w.south.store.importBundle(from: w.north.export(to: w.bundles))
        try w.south.append([assessment("P1", at: syncTime(200)), syncRefill("P1", at: syncTime(300)), syncBolus("P1", at: syncTime(301))])
        let bundle = try w.south.export(to: w.bundles)
        let lines = try bundleLines(bundle)
        let v = try validateSchemas(["bundle-line.schema.json", bundle])
        #expect(v.status == 0 && v.stdout.contains("ok: \(lines.count) documents valid"), "\(v)")
        let header = w.bundles.write("header.json", lines[0])
        #expect(try validateSchemas(["bundle-header.schema.json", header]).status == 0)
        // The header schema refuses event lines, and the line schema refuses a header without its signature.
        let events = writeBundle(Array(lines.dropFirst()), in: w.bundles, "events.jsonl")
        #expect(try validateSchemas(["--expect-invalid", "bundle-header.schema.json", events]).status == 0)
        let unsigned = lines[0].replacingOccurrences(of: #","signature":""#, with: #","signatur":""#)
        #expect(try validateSchemas(["--expect-invalid", "bundle-line.schema.json", writeBundle([unsigned], in: w.bundles, "unsigned.jsonl")]).status == 0)
    }
}
